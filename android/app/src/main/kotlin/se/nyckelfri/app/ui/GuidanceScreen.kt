package se.nyckelfri.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.itemsIndexed
import androidx.compose.foundation.selection.toggleable
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Call
import androidx.compose.material3.Button
import androidx.compose.material3.Card
import androidx.compose.material3.Checkbox
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.style.TextDecoration
import androidx.compose.ui.unit.dp
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import se.nyckelfri.app.state.GuidanceRow
import se.nyckelfri.app.state.GuidanceState

/** The outage routine (R2) after a failure: a checklist, with the call to the coordinator one tap away. */
@Composable
fun GuidanceScreen(
    state: GuidanceState,
    padding: PaddingValues,
    onCall: (String) -> Unit,
    onDone: (Int) -> Unit,
    onReport: () -> Unit,
) {
    LazyColumn(
        Modifier.fillMaxSize().padding(padding),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        item {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                state.brukareName?.let { Text(it, style = MaterialTheme.typography.titleLarge) }
                Text(str("guidance_intro"), style = MaterialTheme.typography.bodyLarge)
                ProblemBanner(state.problem)
                if (state.reportId != null) Banner(str("guidance_reported"), Tone.OK)
            }
        }
        itemsIndexed(state.steps) { i, step -> StepCard(i, step, state.reportId != null, onCall, onDone, onReport) }
    }
}

@Composable
private fun StepCard(
    index: Int,
    step: GuidanceRow,
    reported: Boolean,
    onCall: (String) -> Unit,
    onDone: (Int) -> Unit,
    onReport: () -> Unit,
) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            // The whole row toggles, so the target is the row, not just the box.
            Row(
                Modifier.fillMaxWidth().heightIn(min = 48.dp)
                    .toggleable(value = step.done, enabled = !step.done, role = Role.Checkbox, onValueChange = { onDone(index) }),
                verticalAlignment = Alignment.CenterVertically,
                horizontalArrangement = Arrangement.spacedBy(8.dp),
            ) {
                Checkbox(checked = step.done, onCheckedChange = null)
                Column(Modifier.weight(1f)) {
                    Text(
                        step.title,
                        style = MaterialTheme.typography.titleMedium,
                        textDecoration = if (step.done) TextDecoration.LineThrough else null,
                    )
                }
                step.routineId?.let { Chip(it, Tone.INFO) }
            }
            Text(step.text, style = MaterialTheme.typography.bodyLarge)
            step.callNumber?.let { number ->
                Button(onClick = { onCall(number) }, modifier = Modifier.fillMaxWidth().heightIn(min = BigTouch)) {
                    Icon(Icons.Filled.Call, contentDescription = null, modifier = Modifier.size(20.dp))
                    Spacer(Modifier.width(8.dp))
                    Text(str("guidance_call", number), style = MaterialTheme.typography.titleMedium)
                }
            }
            if (step.documents && !reported) PrimaryButton(str("guidance_report"), onReport)
        }
    }
}
