package se.nyckelfri.app.state

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.UnlockListener
import se.nyckelfri.core.UnlockOutcome
import se.nyckelfri.core.UnlockStep

/** Where opening the door stands. */
sealed interface DoorPhase {
    data object Idle : DoorPhase
    /** Waiting for the biometric or PIN prompt. */
    data object Confirming : DoorPhase
    /** The user cancelled the prompt: nothing was sent to the lock. */
    data object NotConfirmed : DoorPhase
    /** Talking to the lock; [step] is 1..[STEPS]. */
    data class Working(val step: Int, val text: Msg) : DoorPhase
    /** The door is open; [batteryPercent] when the lock's battery is low. */
    data class Opened(val batteryPercent: Int? = null) : DoorPhase
    /** It did not open; [guidance] when the outage routine applies (R2). */
    data class Failed(val reason: Msg, val guidance: Boolean) : DoorPhase

    companion object {
        const val STEPS = 4
    }
}

data class DoorState(val visit: VisitRow? = null, val phase: DoorPhase = DoorPhase.Idle)

/** Opens one visit's door: confirm the user, then the core talks to the lock. */
class DoorHolder(
    private val core: NyckelfriApp,
    private val times: Times,
    private val scope: CoroutineScope,
    initial: DoorState = DoorState(),
) {
    private val _state = MutableStateFlow(initial)
    val state: StateFlow<DoorState> = _state

    /** The last attempt's outcome, for the guidance that follows a failure. */
    @Volatile
    var lastOutcome: UnlockOutcome? = null
        private set

    fun show(visit: VisitRow) {
        lastOutcome = null
        _state.value = DoorState(visit)
    }

    /**
     * [confirm] is the platform's biometric or PIN prompt. It runs before the
     * core is asked to do anything, so a cancelled prompt leaves no trace.
     */
    fun open(confirm: suspend () -> Boolean): Job = scope.launch {
        val visit = _state.value.visit ?: return@launch
        if (_state.value.phase is DoorPhase.Working || _state.value.phase == DoorPhase.Confirming) return@launch
        _state.update { it.copy(phase = DoorPhase.Confirming) }
        // A prompt that fails (no biometrics enrolled, keystore locked) counts as not confirmed.
        val confirmed = try {
            confirm()
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            false
        }
        if (!confirmed) {
            _state.update { it.copy(phase = DoorPhase.NotConfirmed) }
            return@launch
        }
        _state.update { it.copy(phase = working(UnlockStep.SEARCHING)) }
        val listener = object : UnlockListener {
            override fun onStep(step: UnlockStep) {
                _state.update { s -> if (s.phase is DoorPhase.Working) s.copy(phase = working(step)) else s }
            }
        }
        val phase = try {
            val outcome = core.openDoor(visit.visitId, listener)
            lastOutcome = outcome
            phaseOf(outcome, times)
        } catch (e: Exception) {
            DoorPhase.Failed(problemOf(e), guidance = false)
        }
        _state.update { it.copy(phase = phase) }
    }

    private fun working(step: UnlockStep) = when (step) {
        UnlockStep.SEARCHING -> DoorPhase.Working(1, Msg("door_step_searching"))
        UnlockStep.CONNECTING -> DoorPhase.Working(2, Msg("door_step_connecting"))
        UnlockStep.VERIFYING -> DoorPhase.Working(3, Msg("door_step_verifying"))
        UnlockStep.RETRYING -> DoorPhase.Working(3, Msg("door_step_retrying"))
        UnlockStep.OPEN -> DoorPhase.Working(4, Msg("door_step_open"))
    }
}

fun phaseOf(o: UnlockOutcome, times: Times): DoorPhase = when (o) {
    is UnlockOutcome.Opened -> DoorPhase.Opened()
    is UnlockOutcome.OpenedBatteryLow -> DoorPhase.Opened(o.batteryPercent.toInt())
    is UnlockOutcome.LockNotFound -> DoorPhase.Failed(Msg("door_failed_not_found"), true)
    is UnlockOutcome.LinkLost -> DoorPhase.Failed(Msg("door_failed_link_lost"), true)
    is UnlockOutcome.Refused -> DoorPhase.Failed(Msg("door_failed_refused", o.code), true)
    is UnlockOutcome.NoKey -> DoorPhase.Failed(Msg("door_failed_no_key"), true)
    is UnlockOutcome.KeyNotYetValid -> DoorPhase.Failed(Msg("door_failed_not_yet_valid", times.hm(o.validFrom)), true)
    is UnlockOutcome.KeyExpired -> DoorPhase.Failed(Msg("door_failed_expired"), true)
    is UnlockOutcome.DecisionEnded -> DoorPhase.Failed(Msg("door_failed_decision_ended"), true)
    is UnlockOutcome.Jammed -> DoorPhase.Failed(Msg("door_failed_jammed"), true)
    is UnlockOutcome.ReceiptInvalid -> DoorPhase.Failed(Msg("door_failed_receipt_invalid"), true)
}
