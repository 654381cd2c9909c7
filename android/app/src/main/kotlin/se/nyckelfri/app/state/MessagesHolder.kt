package se.nyckelfri.app.state

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import se.nyckelfri.core.InboxMessage
import se.nyckelfri.core.NyckelfriApp

data class MessageRow(
    val id: String,
    val subject: String,
    val body: String,
    val from: Msg?,
    /** "R2.12" when the message belongs to a routine step. */
    val routineStep: String?,
    val at: String,
    val deadline: String?,
    val read: Boolean,
)

data class MessagesState(
    val messages: List<MessageRow> = emptyList(),
    val open: MessageRow? = null,
    val loading: Boolean = false,
    val problem: Msg? = null,
) {
    val unread: Int get() = messages.count { !it.read }
}

/** The role's inbox from the server (e.g. the night patrol's R2.12 notices). */
class MessagesHolder(
    private val core: NyckelfriApp,
    private val times: Times,
    private val scope: CoroutineScope,
    initial: MessagesState = MessagesState(),
) {
    private val _state = MutableStateFlow(initial)
    val state: StateFlow<MessagesState> = _state

    fun load(): Job = scope.launch {
        _state.update { it.copy(loading = true, problem = null) }
        try {
            val rows = core.inbox().map { it.toRow(times) }
            _state.update { it.copy(loading = false, messages = rows) }
        } catch (e: Exception) {
            _state.update { it.copy(loading = false, problem = problemOf(e)) }
        }
    }

    /** Shows a message and marks it read on the server. */
    fun open(id: String): Job = scope.launch {
        val row = _state.value.messages.firstOrNull { it.id == id } ?: return@launch
        _state.update { it.copy(open = row) }
        if (row.read) return@launch
        try {
            val read = core.markMessageRead(id).toRow(times)
            _state.update { s -> s.copy(open = read, messages = s.messages.map { if (it.id == id) read else it }) }
        } catch (e: Exception) {
            _state.update { it.copy(problem = problemOf(e)) }
        }
    }

    fun close() = _state.update { it.copy(open = null) }
}

private fun InboxMessage.toRow(times: Times) = MessageRow(
    id = id,
    subject = subject,
    body = body,
    from = fromRole?.let(::roleText),
    routineStep = routineStep,
    at = times.dayHm(createdAt),
    deadline = deadlineAt?.let(times::dayHm),
    read = read,
)

/** The server's role names in words. */
fun roleText(role: String): Msg = when (role) {
    "care_worker" -> Msg("role_care_worker")
    "coordinator" -> Msg("role_coordinator")
    "alarm_technician", "alarm_group" -> Msg("role_alarm_group")
    "night_patrol" -> Msg("role_night_patrol")
    "unit_manager" -> Msg("role_unit_manager")
    "authority" -> Msg("role_authority")
    else -> Msg("role_other")
}
