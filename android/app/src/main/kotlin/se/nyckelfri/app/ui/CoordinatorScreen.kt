package se.nyckelfri.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.CoordinatorState
import se.nyckelfri.app.state.Decision
import se.nyckelfri.app.state.OutageRow

/** The coordinator's open outages (R2.7, R2.10–R2.12). */
@Composable
fun CoordinatorScreen(
    state: CoordinatorState,
    padding: PaddingValues,
    onAlarmGroup: (String) -> Unit,
    onNightPatrol: (String) -> Unit,
    onWorking: (String) -> Unit,
    onReload: () -> Unit,
) {
    ServerList(
        padding, state.outages, key = { it.id }, state.problem, state.loading,
        ServerListTexts("outages_loading", "outages_none", Tone.OK, "outages_reload"), onReload,
    ) { o ->
        OutageCard(o, busy = state.busyId != null, onAlarmGroup, onNightPatrol, onWorking)
    }
}

@Composable
private fun OutageCard(
    o: OutageRow,
    busy: Boolean,
    onAlarmGroup: (String) -> Unit,
    onNightPatrol: (String) -> Unit,
    onWorking: (String) -> Unit,
) {
    val colors = if (o.nightPatrolOverdue) {
        CardDefaults.cardColors(containerColor = Palette.ErrorContainer)
    } else {
        CardDefaults.cardColors()
    }
    Card(Modifier.fillMaxWidth(), colors = colors) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(o.brukareName ?: str("outages_unknown_brukare"), style = MaterialTheme.typography.titleLarge)
            Text(
                listOfNotNull(text(o.cause), o.lockId, str("outages_opened_at", o.openedAt)).joinToString(" · "),
                style = MaterialTheme.typography.bodyMedium,
            )
            if (o.reportCount > 1) Text(str("outages_reports", o.reportCount.toString()), style = MaterialTheme.typography.bodyMedium)
            if (o.weekendOrHoliday) Chip(str("outages_weekend"), Tone.INFO)
            // R2.7
            DecisionLine(o)
            // R2.12
            when {
                o.nightPatrolMessagedAt != null -> Banner(str("outages_night_patrol_told", o.nightPatrolMessagedAt), Tone.OK)
                o.nightPatrolOverdue -> Banner(str("outages_night_patrol_overdue", o.nightPatrolDeadline), Tone.ERROR)
                else -> Banner(str("outages_night_patrol_due", o.nightPatrolDeadline), Tone.WARN)
            }
            // R2.11
            if (o.alarmGroupInformedAt != null) {
                Text(str("outages_alarm_group_told", o.alarmGroupInformedAt), style = MaterialTheme.typography.bodyMedium)
            } else {
                PrimaryButton(str("outages_inform_alarm_group"), { onAlarmGroup(o.id) }, enabled = !busy)
            }
            if (o.nightPatrolMessagedAt == null) {
                PrimaryButton(str("outages_inform_night_patrol"), { onNightPatrol(o.id) }, enabled = !busy)
            }
            // R2.10
            SecondaryButton(str("outages_lock_works"), { onWorking(o.id) }, enabled = !busy)
        }
    }
}

@Composable
private fun DecisionLine(o: OutageRow) {
    val tone = when (o.decision) {
        Decision.VALID -> Tone.OK
        Decision.ENDS_TODAY -> Tone.WARN
        Decision.ENDED, Decision.NOT_STARTED, Decision.NONE -> Tone.ERROR
    }
    val label = text(o.decision.label(o.decisionEndsAt))
    Banner(label, tone, detail = if (o.contactNeedsAssessor) str("outages_call_assessor") else null)
}
