package se.nyckelfri.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.DoorPhase
import se.nyckelfri.app.state.DoorState

const val OPEN_BUTTON_TAG = "door-open"

/** At the door: one large Open button, its progress, and what happened. */
@Composable
fun DoorScreen(
    state: DoorState,
    padding: PaddingValues,
    bluetoothReady: Boolean,
    onOpen: () -> Unit,
    onAllowBluetooth: () -> Unit,
    onGuidance: () -> Unit,
    onDone: () -> Unit,
    onReportBroken: () -> Unit = {},
) {
    val phase = state.phase
    val working = phase is DoorPhase.Working || phase == DoorPhase.Confirming
    Column(
        Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        state.visit?.let { v ->
            Text(v.brukareName, style = MaterialTheme.typography.headlineSmall)
            Text("${v.time} · ${v.address}", style = MaterialTheme.typography.bodyLarge)
            KeyChip(v.key)
        }
        if (!bluetoothReady) {
            Banner(str("door_bluetooth_off"), Tone.WARN, detail = str("door_bluetooth_off_detail"))
            SecondaryButton(str("door_bluetooth_allow"), onAllowBluetooth)
        }
        Button(
            onClick = onOpen,
            enabled = bluetoothReady && !working && phase !is DoorPhase.Opened,
            modifier = Modifier.fillMaxWidth().heightIn(min = 120.dp).testTag(OPEN_BUTTON_TAG),
        ) {
            Text(str("door_open"), style = MaterialTheme.typography.displaySmall)
        }
        // Announced as it changes: the worker is looking at the door, not the phone.
        Column(Modifier.semantics { liveRegion = LiveRegionMode.Polite }, verticalArrangement = Arrangement.spacedBy(12.dp)) {
            Result(phase, onGuidance, onDone)
        }
        // A lock found broken without trying (e.g. hanging off the door) still follows the routine.
        if (phase == DoorPhase.Idle || phase == DoorPhase.NotConfirmed) {
            SecondaryButton(str("door_report_broken"), onReportBroken)
        }
    }
}

@Composable
private fun Result(phase: DoorPhase, onGuidance: () -> Unit, onDone: () -> Unit) {
    when (phase) {
        DoorPhase.Idle -> Text(str("door_hint"), style = MaterialTheme.typography.bodyLarge)
        DoorPhase.Confirming -> Text(str("door_confirming"), style = MaterialTheme.typography.bodyLarge)
        DoorPhase.NotConfirmed -> Banner(str("door_not_confirmed"), Tone.INFO)
        is DoorPhase.Working -> {
            LinearProgressIndicator(
                progress = { phase.step.toFloat() / DoorPhase.STEPS },
                modifier = Modifier.fillMaxWidth(),
            )
            Text(
                str("door_step_of", phase.step.toString(), DoorPhase.STEPS.toString()) + " · " + text(phase.text),
                style = MaterialTheme.typography.titleMedium,
            )
        }
        is DoorPhase.Opened -> {
            Banner(str("door_opened"), Tone.OK)
            phase.batteryPercent?.let { Banner(str("door_battery_low", it.toString()), Tone.WARN) }
            PrimaryButton(str("door_done"), onDone)
        }
        is DoorPhase.Failed -> {
            Banner(str("door_failed"), Tone.ERROR, detail = text(phase.reason))
            if (phase.guidance) PrimaryButton(str("door_what_now"), onGuidance)
        }
    }
}
