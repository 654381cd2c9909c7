package se.nyckelfri.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.TechnicianState

/** R1.9: showing the brukare the lock working, and what happens when it does not. */
@Composable
fun DemonstrationScreen(state: TechnicianState, padding: PaddingValues, actions: TechnicianActions) {
    val order = state.order ?: return
    Column(
        Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        OrderHeader(order, actions.onCall)
        Banner(str("tech_commissioned", state.lockId), Tone.OK)
        SectionTitle(str("tech_demo_title"))
        if (state.demonstration.isEmpty()) {
            Text(str("tech_demo_intro"), style = MaterialTheme.typography.bodyLarge)
            ProblemBanner(state.problem)
            if (state.busy) Busy(str("tech_demo_running"))
            PrimaryButton(str("tech_demo_start"), actions.onDemonstrate, enabled = !state.busy)
        } else {
            for (step in state.demonstration) {
                Card(Modifier.fillMaxWidth()) {
                    Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
                        Text(step.title, style = MaterialTheme.typography.titleMedium)
                        Text(step.text, style = MaterialTheme.typography.bodyLarge)
                        when (step.opened) {
                            true -> Chip(str("tech_demo_ok"), Tone.OK)
                            false -> Chip(str("tech_demo_failed"), Tone.ERROR)
                            null -> {}
                        }
                    }
                }
            }
            PrimaryButton(str("tech_to_signature"), actions.onToSignature)
        }
    }
}
