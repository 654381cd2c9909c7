package se.nyckelfri.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.selectableGroup
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.Cause
import se.nyckelfri.app.state.ReportRow
import se.nyckelfri.app.state.ReportState

/** R2.9: documenting that the lock is out of order; kept on the phone until the next sync. */
@Composable
fun ReportScreen(
    state: ReportState,
    padding: PaddingValues,
    onCause: (Cause) -> Unit,
    onSend: () -> Unit,
) {
    LazyColumn(
        Modifier.fillMaxSize().padding(padding),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        item {
            Column(verticalArrangement = Arrangement.spacedBy(12.dp)) {
                state.brukareName?.let { Text(it, style = MaterialTheme.typography.titleLarge) }
                state.lockId?.let { Text(str("report_lock", it), style = MaterialTheme.typography.bodyLarge) }
                SectionTitle(str("report_cause"))
                val failure = state.failureCause
                if (failure != null) {
                    Text(text(failure), style = MaterialTheme.typography.bodyLarge)
                } else {
                    CausePicker(state.cause, enabled = state.sentReportId == null, onCause)
                }
                SectionTitle(str("report_steps_done"))
                Text(
                    if (state.stepsDone.isEmpty()) str("report_steps_none") else state.stepsDone.joinToString(", "),
                    style = MaterialTheme.typography.bodyLarge,
                )
                ProblemBanner(state.problem)
                if (state.sentReportId != null) {
                    Banner(str("report_saved"), Tone.OK, detail = str("report_saved_detail"))
                } else {
                    if (state.sending) Busy(str("report_sending"))
                    PrimaryButton(str("report_send"), onSend, enabled = !state.sending)
                }
                SectionTitle(str("report_mine"))
                if (state.reports.isEmpty()) Text(str("report_mine_none"), style = MaterialTheme.typography.bodyMedium)
            }
        }
        items(state.reports, key = { it.reportId }) { ReportCard(it) }
    }
}

@Composable
private fun CausePicker(selected: Cause, enabled: Boolean, onCause: (Cause) -> Unit) {
    Column(Modifier.selectableGroup()) {
        for (c in Cause.entries) {
            Row(
                Modifier.fillMaxWidth().heightIn(min = 48.dp)
                    .selectable(selected = c == selected, enabled = enabled, role = Role.RadioButton, onClick = { onCause(c) }),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                RadioButton(selected = c == selected, onClick = null, enabled = enabled)
                Text(text(c.label), style = MaterialTheme.typography.bodyLarge, modifier = Modifier.padding(start = 8.dp))
            }
        }
    }
}

@Composable
private fun ReportCard(r: ReportRow) {
    Card(Modifier.fillMaxWidth()) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Text("${r.at} · ${text(r.cause)}", style = MaterialTheme.typography.titleMedium)
            r.lockId?.let { Text(str("report_lock", it), style = MaterialTheme.typography.bodyMedium) }
            Text(str("report_row_done", r.stepsDone.joinToString(", ").ifEmpty { "–" }), style = MaterialTheme.typography.bodyMedium)
            if (r.stepsOpen.isNotEmpty()) {
                Text(str("report_row_open", r.stepsOpen.joinToString(", ")), style = MaterialTheme.typography.bodyMedium)
            }
        }
    }
}
