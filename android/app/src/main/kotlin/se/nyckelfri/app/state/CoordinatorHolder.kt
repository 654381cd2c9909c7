package se.nyckelfri.app.state

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.OutageCase

/** R2.7: whether the care decision still lets the door be opened. */
enum class Decision(val label: Msg, private val labelAt: (String) -> Msg) {
    VALID(Msg("decision_valid"), { Msg("decision_valid_at", it) }),
    ENDS_TODAY(Msg("decision_ends_today"), { Msg("decision_ends_today_at", it) }),
    ENDED(Msg("decision_ended"), { Msg("decision_ended_at", it) }),
    NOT_STARTED(Msg("decision_not_started"), { Msg("decision_not_started") }),
    /** No decision found, or the brukare is unknown to the server. */
    NONE(Msg("decision_none"), { Msg("decision_none") });

    /** The label with the decision's end time, when known. */
    fun label(endsAt: String?): Msg = endsAt?.let(labelAt) ?: label

    companion object {
        fun of(status: String) = when (status) {
            "valid" -> VALID
            "ends_today" -> ENDS_TODAY
            "ended" -> ENDED
            "not_started" -> NOT_STARTED
            else -> NONE
        }
    }
}

data class OutageRow(
    val id: String,
    val brukareName: String?,
    val lockId: String?,
    val cause: Msg,
    val openedAt: String,
    val weekendOrHoliday: Boolean,
    val night: Boolean,
    val decision: Decision,
    val decisionEndsAt: String?,
    /** R2.7: the decision has ended; the coordinator calls the needs assessor. */
    val contactNeedsAssessor: Boolean,
    /** R2.11 done at. */
    val alarmGroupInformedAt: String?,
    /** R2.12: "17:00". */
    val nightPatrolDeadline: String,
    val nightPatrolMessagedAt: String?,
    val nightPatrolOverdue: Boolean,
    val reportCount: Int,
)

data class CoordinatorState(
    val outages: List<OutageRow> = emptyList(),
    val loading: Boolean = false,
    /** The case an action is being sent for. */
    val busyId: String? = null,
    val problem: Msg? = null,
)

/** The coordinator's open outage cases and the routine's actions on them (R2.10–R2.12). */
class CoordinatorHolder(
    private val core: NyckelfriApp,
    private val times: Times,
    private val scope: CoroutineScope,
    initial: CoordinatorState = CoordinatorState(),
) {
    private val _state = MutableStateFlow(initial)
    val state: StateFlow<CoordinatorState> = _state

    fun load(): Job = scope.launch {
        _state.update { it.copy(loading = true, problem = null) }
        try {
            val rows = core.openOutages().map { it.toRow(times) }
            _state.update { it.copy(loading = false, outages = rows) }
        } catch (e: Exception) {
            _state.update { it.copy(loading = false, problem = problemOf(e)) }
        }
    }

    // R2.11
    fun informAlarmGroup(id: String): Job = act(id) { core.informAlarmGroup(id, null) }

    // R2.12
    fun informNightPatrol(id: String): Job = act(id) { core.informNightPatrol(id, null) }

    // R2.10: the case closes, so it leaves the list of open outages.
    fun markWorking(id: String): Job = act(id) { core.markLockWorking(id, null) }

    private fun act(id: String, call: suspend () -> OutageCase): Job = scope.launch {
        if (_state.value.busyId != null) return@launch
        _state.update { it.copy(busyId = id, problem = null) }
        try {
            val case = call()
            val row = case.toRow(times)
            _state.update { s ->
                s.copy(
                    busyId = null,
                    outages = if (case.status == "open") s.outages.map { if (it.id == id) row else it } else s.outages.filter { it.id != id },
                )
            }
        } catch (e: Exception) {
            _state.update { it.copy(busyId = null, problem = problemOf(e)) }
        }
    }
}

private fun OutageCase.toRow(times: Times) = OutageRow(
    id = id,
    brukareName = brukareDisplayName,
    lockId = lockId,
    cause = causeText(cause),
    openedAt = times.dayHm(openedAt),
    weekendOrHoliday = weekendOrHoliday,
    night = night,
    decision = Decision.of(decisionStatus),
    decisionEndsAt = decisionEndsAt?.let(times::dayHm),
    contactNeedsAssessor = contactNeedsAssessor,
    alarmGroupInformedAt = alarmGroupInformedAt?.let(times::hm),
    nightPatrolDeadline = times.hm(nightPatrolDeadlineAt),
    nightPatrolMessagedAt = nightPatrolMessagedAt?.let(times::hm),
    nightPatrolOverdue = nightPatrolOverdue,
    reportCount = reportCount.toInt(),
)
