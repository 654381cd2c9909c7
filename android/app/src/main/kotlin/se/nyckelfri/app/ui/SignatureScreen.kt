package se.nyckelfri.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.compose.foundation.layout.heightIn
import se.nyckelfri.app.state.TechnicianState

/** R1.9: the brukare signs the receipt and responsibility agreement; if they cannot, a second person confirms it, with the reason. */
@Composable
fun SignatureScreen(state: TechnicianState, padding: PaddingValues, actions: TechnicianActions) {
    val order = state.order ?: return
    Column(
        Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(str("tech_signature_intro", order.brukareName), style = MaterialTheme.typography.bodyLarge)
        SignaturePad(state.strokes, actions.onStroke)
        TextButton(
            onClick = actions.onClearSignature,
            enabled = state.strokes.isNotEmpty() && !state.busy,
            modifier = Modifier.heightIn(min = 48.dp),
        ) { Text(str("tech_signature_clear")) }
        SectionTitle(str("tech_witness_title"))
        OutlinedTextField(
            value = state.witness, onValueChange = actions.onWitness, enabled = !state.busy && state.strokes.isEmpty(),
            label = { Text(str("tech_witness")) }, supportingText = { Text(str("tech_witness_hint")) },
            singleLine = true, modifier = Modifier.fillMaxWidth(),
        )
        OutlinedTextField(
            value = state.witnessReason, onValueChange = actions.onWitnessReason,
            enabled = !state.busy && state.strokes.isEmpty(),
            label = { Text(str("tech_witness_reason")) }, supportingText = { Text(str("tech_witness_reason_hint")) },
            singleLine = true, modifier = Modifier.fillMaxWidth(),
        )
        ProblemBanner(state.problem)
        if (state.busy) Busy(str("tech_signing"))
        PrimaryButton(str("tech_sign_and_finish"), actions.onSign, enabled = state.canSign)
    }
}
