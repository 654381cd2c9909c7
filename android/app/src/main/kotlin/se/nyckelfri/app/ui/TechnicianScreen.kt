package se.nyckelfri.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.OrderRow
import se.nyckelfri.app.state.TechStage
import se.nyckelfri.app.state.TechnicianState

/** What the technician's actions do; one bundle so the stages share it. */
class TechnicianActions(
    val onReload: () -> Unit = {},
    val onSelect: (String) -> Unit = {},
    val onLockId: (String) -> Unit = {},
    val onKeyHex: (String) -> Unit = {},
    val onCommission: () -> Unit = {},
    val onDemonstrate: () -> Unit = {},
    val onToSignature: () -> Unit = {},
    val onStroke: (List<se.nyckelfri.app.state.Pt>) -> Unit = {},
    val onClearSignature: () -> Unit = {},
    val onWitness: (String) -> Unit = {},
    val onWitnessReason: (String) -> Unit = {},
    val onContactParty: (String) -> Unit = {},
    val onSign: () -> Unit = {},
    val onRemove: () -> Unit = {},
    val onCall: (String) -> Unit = {},
    val onBackToOrders: () -> Unit = {},
)

/** The alarm group's work, one stage at a time (R1.6, R1.9, R1.10, R1.12). */
@Composable
fun TechnicianScreen(state: TechnicianState, padding: PaddingValues, actions: TechnicianActions) {
    when (state.stage) {
        TechStage.ORDERS -> OrdersList(state, padding, actions)
        TechStage.COMMISSION -> CommissionScreen(state, padding, actions)
        TechStage.DEMONSTRATION -> DemonstrationScreen(state, padding, actions)
        TechStage.SIGNATURE -> SignatureScreen(state, padding, actions)
        TechStage.DONE -> Column(
            Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState()).padding(16.dp),
            verticalArrangement = Arrangement.spacedBy(16.dp),
        ) {
            state.result?.let { Banner(text(it), Tone.OK) }
            state.receiptId?.let { Text(str("tech_receipt_id", it), style = MaterialTheme.typography.bodyMedium) }
            PrimaryButton(str("tech_back_to_orders"), actions.onBackToOrders)
        }
    }
}

@Composable
private fun OrdersList(state: TechnicianState, padding: PaddingValues, actions: TechnicianActions) {
    ServerList(
        padding, state.orders, key = { it.id }, state.problem, state.loading,
        ServerListTexts("tech_loading", "tech_no_orders", Tone.INFO, "tech_reload"), actions.onReload,
    ) { o -> OrderCard(o) { actions.onSelect(o.id) } }
}

@Composable
private fun OrderCard(o: OrderRow, onClick: () -> Unit) {
    Card(
        Modifier.fillMaxWidth().heightIn(min = BigTouch)
            .clickable(onClickLabel = str("tech_open_order_action"), role = Role.Button, onClick = onClick),
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Chip(text(o.kind) + " · " + text(o.status), if (o.removal) Tone.WARN else Tone.INFO)
            Text(o.brukareName, style = MaterialTheme.typography.titleLarge)
            o.address?.let { Text(it, style = MaterialTheme.typography.bodyMedium) }
            o.scheduled?.let { Text(str("tech_scheduled", it), style = MaterialTheme.typography.bodyMedium) }
            o.due?.let { Text(str("tech_due", it), style = MaterialTheme.typography.bodyMedium) }
        }
    }
}

/** The order's facts above each stage: who, where, who to call (R1.8). */
@Composable
fun OrderHeader(o: OrderRow, onCall: (String) -> Unit) {
    Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Text(o.brukareName, style = MaterialTheme.typography.headlineSmall)
        Text(text(o.kind), style = MaterialTheme.typography.bodyLarge)
        o.address?.let { Text(it, style = MaterialTheme.typography.bodyLarge) }
        if (o.contactPhone != null) {
            SecondaryButton(str("tech_call_contact", o.contact ?: o.contactPhone), { onCall(o.contactPhone) })
        }
    }
}
