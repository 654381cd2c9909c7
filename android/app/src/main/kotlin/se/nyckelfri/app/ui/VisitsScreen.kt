package se.nyckelfri.app.ui

import androidx.compose.foundation.clickable
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
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.KeyBadge
import se.nyckelfri.app.state.VisitRow
import se.nyckelfri.app.state.VisitsState

/** Today's visits, each with whether its key will open the door. */
@Composable
fun VisitsScreen(
    state: VisitsState,
    padding: PaddingValues,
    onSync: () -> Unit,
    onVisit: (VisitRow) -> Unit,
    onReportBroken: () -> Unit,
) {
    LazyColumn(
        Modifier.fillMaxSize().padding(padding),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        item { SyncStatus(state, onSync) }
        if (state.visits.isEmpty() && !state.syncing) {
            item { Banner(str("visits_none"), Tone.INFO) }
        }
        items(state.visits, key = { it.visitId }) { v -> VisitCard(v, onClick = { onVisit(v) }) }
        item { SecondaryButton(str("visits_report_broken"), onReportBroken) }
    }
}

@Composable
private fun SyncStatus(state: VisitsState, onSync: () -> Unit) {
    Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (state.offline) {
            val until = state.keysValidUntil
            Banner(
                str("visits_offline"),
                if (until != null) Tone.WARN else Tone.ERROR,
                detail = if (until != null) str("keys_valid_until", until) else str("keys_none_valid"),
            )
        } else if (state.keysValidUntil != null) {
            Text(str("keys_valid_until", state.keysValidUntil), style = MaterialTheme.typography.bodyLarge)
        }
        ProblemBanner(state.problem)
        Text(
            (state.lastSync?.let { str("visits_last_sync", it) } ?: str("visits_never_synced")) +
                if (state.pendingEvents > 0) " · " + str("visits_pending", state.pendingEvents.toString()) else "",
            style = MaterialTheme.typography.bodyMedium,
        )
        if (state.syncing) Busy(str("visits_syncing"))
        SecondaryButton(str("visits_sync"), onSync, enabled = !state.syncing)
    }
}

@Composable
fun VisitCard(v: VisitRow, onClick: () -> Unit) {
    Card(
        Modifier.fillMaxWidth().heightIn(min = BigTouch)
            .clickable(onClickLabel = str("visits_open_door_action"), role = Role.Button, onClick = onClick),
    ) {
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                Text(v.time, style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.Bold)
            }
            Text(v.brukareName, style = MaterialTheme.typography.titleLarge)
            Text(v.address, style = MaterialTheme.typography.bodyMedium)
            KeyChip(v.key)
        }
    }
}

@Composable
fun KeyChip(k: KeyBadge) {
    when (k) {
        is KeyBadge.Ready -> Chip(str("key_ready", k.until), Tone.OK)
        is KeyBadge.NotYetValid -> Chip(str("key_not_yet_valid", k.from), Tone.INFO)
        is KeyBadge.Expired -> Chip(str("key_expired", k.at), Tone.WARN)
        is KeyBadge.DecisionEnded -> Chip(str("key_decision_ended"), Tone.ERROR)
        is KeyBadge.NoKey -> Chip(str("key_none", text(k.reason)), Tone.ERROR)
    }
}
