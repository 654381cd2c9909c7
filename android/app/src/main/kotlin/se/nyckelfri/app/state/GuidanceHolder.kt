package se.nyckelfri.app.state

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import se.nyckelfri.core.FailureKind
import se.nyckelfri.core.GuidanceStep
import se.nyckelfri.core.Language
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.StepAction
import se.nyckelfri.core.UnlockOutcome
import se.nyckelfri.core.failureKindForOutcome

/** One step of the outage routine as a checklist row. */
data class GuidanceRow(
    /** "R2.6"; null for app housekeeping (sync). */
    val routineId: String?,
    val title: String,
    val text: String,
    /** The number to dial when the step is a call (R2.6; the night patrol, R2.12, R2.13). */
    val callNumber: String? = null,
    /** The step is documenting the outage: it leads to the report (R2.9). */
    val documents: Boolean = false,
    val done: Boolean = false,
)

data class GuidanceState(
    val steps: List<GuidanceRow> = emptyList(),
    val visitId: String? = null,
    val lockId: String? = null,
    val brukareName: String? = null,
    val failure: FailureKind? = null,
    /** Set once the failure is reported: later steps are added to that report. */
    val reportId: String? = null,
    val problem: Msg? = null,
) {
    val doneIds: List<String> get() = steps.filter { it.done }.mapNotNull { it.routineId }
}

/**
 * What to do after a failure (R2): the core decides the steps; this keeps
 * which are done and, once reported, tells the core (R2.9's report).
 */
class GuidanceHolder(
    private val core: NyckelfriApp,
    private val language: Language,
    private val scope: CoroutineScope,
    private val io: CoroutineDispatcher,
    initial: GuidanceState = GuidanceState(),
) {
    private val _state = MutableStateFlow(initial)
    val state: StateFlow<GuidanceState> = _state

    /** After a failed opening; the core says which failure the outcome is, for the report (R2.9). */
    fun forOutcome(outcome: UnlockOutcome, visit: VisitRow?): Job = load(visit, visit?.lockId, failureKindForOutcome(outcome)) {
        core.guidanceForOutcome(outcome, visit?.visitId, language)
    }

    /** A failure found by hand (a broken lock, the app itself). */
    fun forFailure(failure: FailureKind, visit: VisitRow?): Job = load(visit, visit?.lockId, failure) {
        core.guidanceForFailure(failure, visit?.visitId, visit?.lockId, language)
    }

    private fun load(visit: VisitRow?, lockId: String?, failure: FailureKind?, steps: () -> List<GuidanceStep>): Job =
        scope.launch {
            _state.value = GuidanceState(visitId = visit?.visitId, lockId = lockId, brukareName = visit?.brukareName, failure = failure)
            try {
                val rows = withContext(io) { steps() }.map { it.toRow() }
                _state.update { it.copy(steps = rows) }
            } catch (e: Exception) {
                _state.update { it.copy(problem = problemOf(e)) }
            }
        }

    /** Ticks a step; once the failure is reported, the report records it too. */
    fun markDone(index: Int): Job = scope.launch {
        val s = _state.value
        val row = s.steps.getOrNull(index) ?: return@launch
        if (row.done) return@launch
        _state.update { it.copy(steps = it.steps.mapIndexed { i, r -> if (i == index) r.copy(done = true) else r }) }
        val reportId = s.reportId ?: return@launch
        val id = row.routineId ?: return@launch
        try {
            withContext(io) { core.markStepDone(reportId, id) }
        } catch (e: Exception) {
            _state.update { it.copy(problem = problemOf(e)) }
        }
    }

    /** The report now exists (R2.9): its step is done, as the core recorded. */
    fun reported(reportId: String) = _state.update { s ->
        s.copy(reportId = reportId, steps = s.steps.map { if (it.routineId == "R2.9") it.copy(done = true) else it })
    }
}

private fun GuidanceStep.toRow(): GuidanceRow {
    val a = action
    return GuidanceRow(
        routineId = routineId,
        title = title,
        text = text,
        callNumber = when (a) {
            is StepAction.CallCoordinator -> a.phone
            // R2.12, R2.13: after hours the worker calls the night patrol.
            is StepAction.CallNightPatrol -> a.phone
            is StepAction.NotifyNightPatrolAndAlarmGroup -> a.nightPatrolPhone
            else -> null
        },
        documents = a is StepAction.DocumentOutage,
    )
}
