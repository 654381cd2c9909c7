package se.nyckelfri.app.state

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import se.nyckelfri.core.FailedLockReport
import se.nyckelfri.core.FailureKind
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.OutageReportView

/** The causes a worker can pick when reporting by hand. */
enum class Cause(val label: Msg) {
    JAMMED(Msg("cause_jammed")),
    NOT_FOUND(Msg("cause_not_found")),
    APP_FAILURE(Msg("cause_app_failure")),
    OTHER(Msg("cause_other"));

    fun failure(): FailureKind = when (this) {
        JAMMED -> FailureKind.Jammed
        NOT_FOUND -> FailureKind.LockNotFound
        APP_FAILURE -> FailureKind.AppFailure
        OTHER -> FailureKind.ManualReport
    }
}

/** A report made on this phone, for the list under the form. */
data class ReportRow(
    val reportId: String,
    val lockId: String?,
    val cause: Msg,
    val at: String,
    /** Routine ids done, e.g. ["R2.6", "R2.9"]. */
    val stepsDone: List<String>,
    /** Routine ids still open. */
    val stepsOpen: List<String>,
)

data class ReportState(
    val lockId: String? = null,
    val visitId: String? = null,
    val brukareName: String? = null,
    /** The failure the door met; null when the worker picks a [cause]. */
    val failure: FailureKind? = null,
    val cause: Cause = Cause.JAMMED,
    val stepsDone: List<String> = emptyList(),
    val sending: Boolean = false,
    /** Set once stored: it goes to the server on the next sync. */
    val sentReportId: String? = null,
    val reports: List<ReportRow> = emptyList(),
    val problem: Msg? = null,
) {
    /** The cause in words when the door's failure decided it. */
    val failureCause: Msg? get() = failure?.let(::causeOf)
}

/** R2.9: the worker documents that the lock is out of order, offline if need be. */
class ReportHolder(
    private val core: NyckelfriApp,
    private val times: Times,
    private val scope: CoroutineScope,
    private val io: CoroutineDispatcher,
    initial: ReportState = ReportState(),
) {
    private val _state = MutableStateFlow(initial)
    val state: StateFlow<ReportState> = _state

    /** Starts a report from the guidance: its lock, visit, failure and ticked steps. */
    fun start(g: GuidanceState): Job {
        _state.value = ReportState(
            lockId = g.lockId, visitId = g.visitId, brukareName = g.brukareName,
            failure = g.failure, stepsDone = g.doneIds,
        )
        return load()
    }

    fun cause(c: Cause) = _state.update { it.copy(cause = c) }

    /** The own reports, newest first. */
    fun load(): Job = scope.launch {
        try {
            val rows = withContext(io) { core.outageReports(LIST_LIMIT) }.map { it.toRow() }
            _state.update { it.copy(reports = rows) }
        } catch (e: Exception) {
            _state.update { it.copy(problem = problemOf(e)) }
        }
    }

    // R2.9
    fun send(onSent: (String) -> Unit = {}): Job = scope.launch {
        val s = _state.value
        if (s.sending || s.sentReportId != null) return@launch
        _state.update { it.copy(sending = true, problem = null) }
        try {
            val id = withContext(io) {
                core.reportFailedLock(FailedLockReport(s.lockId, s.visitId, s.failure ?: s.cause.failure(), s.stepsDone))
            }
            _state.update { it.copy(sending = false, sentReportId = id) }
            onSent(id)
        } catch (e: Exception) {
            _state.update { it.copy(sending = false, problem = problemOf(e)) }
        }
        load().join()
    }

    private fun OutageReportView.toRow() = ReportRow(
        reportId = reportId,
        lockId = lockId,
        cause = causeText(cause),
        at = times.dayHm(occurredAt),
        stepsDone = steps.filter { it.doneAt != null }.map { it.routineId },
        stepsOpen = steps.filter { it.doneAt == null }.map { it.routineId },
    )

    private companion object {
        const val LIST_LIMIT = 20u
    }
}

/** The core's cause codes ("jammed", "refused:revoked", …) in words. */
fun causeText(code: String): Msg = when {
    code == "jammed" -> Msg("cause_jammed")
    code == "lock_not_found" -> Msg("cause_not_found")
    code == "link_lost" -> Msg("cause_link_lost")
    code.startsWith("refused") -> Msg("cause_refused")
    code == "no_key" || code == "key_expired" || code == "key_not_yet_valid" -> Msg("cause_key")
    code == "decision_ended" -> Msg("cause_decision_ended")
    code == "battery_low" -> Msg("cause_battery_low")
    code == "app_failure" -> Msg("cause_app_failure")
    else -> Msg("cause_other")
}

/** A failure not yet reported, in the same words as [causeText] gives a sent one. */
private fun causeOf(f: FailureKind): Msg = when (f) {
    is FailureKind.Jammed -> Msg("cause_jammed")
    is FailureKind.LockNotFound -> Msg("cause_not_found")
    is FailureKind.LinkLost -> Msg("cause_link_lost")
    is FailureKind.Refused -> Msg("cause_refused")
    is FailureKind.NoKey, is FailureKind.KeyExpired, is FailureKind.KeyNotYetValid -> Msg("cause_key")
    is FailureKind.DecisionEnded -> Msg("cause_decision_ended")
    is FailureKind.BatteryLow -> Msg("cause_battery_low")
    is FailureKind.AppFailure -> Msg("cause_app_failure")
    is FailureKind.ManualReport -> Msg("cause_other")
}
