package se.nyckelfri.app.state

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import se.nyckelfri.core.Enrollment
import se.nyckelfri.core.NyckelfriApp

/** The role an enrolled phone serves; it decides the first screen. */
enum class Role { CARE_WORKER, COORDINATOR, ALARM_TECHNICIAN, OTHER;
    companion object {
        fun of(name: String): Role = when (name) {
            // The night patrol opens doors like any care worker (R2.2).
            "care_worker", "night_patrol" -> CARE_WORKER
            "coordinator", "unit_manager", "head_of_operations" -> COORDINATOR
            "alarm_technician" -> ALARM_TECHNICIAN
            else -> OTHER
        }
    }
}

/** Who this phone belongs to, once enrolled. */
data class Session(val staffName: String, val role: Role, val unitId: String? = null)

private fun Enrollment.toSession() = Session(staffName, Role.of(role), unitId)

/**
 * The enrollment the phone's own store remembers, so that after a restart,
 * and offline, the role's screens come back without asking the server.
 */
fun storedEnrollment(core: NyckelfriApp): EnrollState = try {
    EnrollState(session = core.enrollment()?.toSession())
} catch (e: Exception) {
    // Unreadable store: the enroll screen says so; enrolling again is the way out.
    EnrollState(problem = problemOf(e))
}

data class EnrollState(
    val serverUrl: String = "",
    val code: String = "",
    val label: String = "",
    val busy: Boolean = false,
    val problem: Msg? = null,
    val session: Session? = null,
) {
    val canSubmit: Boolean get() = !busy && serverUrl.isNotBlank() && code.isNotBlank() && label.isNotBlank()
}

/** Enrolls the phone with the coordinator's one-time code, then fetches the day. */
class EnrollHolder(
    private val core: NyckelfriApp,
    private val scope: CoroutineScope,
    initial: EnrollState = storedEnrollment(core),
) {
    private val _state = MutableStateFlow(initial)
    val state: StateFlow<EnrollState> = _state

    fun serverUrl(v: String) = _state.update { it.copy(serverUrl = v.trim(), problem = null) }
    fun code(v: String) = _state.update { it.copy(code = v.trim(), problem = null) }
    fun label(v: String) = _state.update { it.copy(label = v, problem = null) }

    fun enroll(): Job = scope.launch {
        val s = _state.value
        if (!s.canSubmit) return@launch
        _state.update { it.copy(busy = true, problem = null) }
        try {
            val e = core.enroll(s.serverUrl, s.code, s.label.trim())
            // The first sync brings the day's keys; without it the worker
            // would meet an empty list. A failure here is not an enrollment
            // failure: the visits screen offers to sync again.
            runCatching { core.sync() }
            _state.update { it.copy(busy = false, code = "", session = e.toSession()) }
        } catch (e: Exception) {
            _state.update { it.copy(busy = false, problem = enrollProblemOf(e)) }
        }
    }
}
