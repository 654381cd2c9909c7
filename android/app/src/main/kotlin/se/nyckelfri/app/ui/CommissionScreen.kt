package se.nyckelfri.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.TechnicianState

/** Commissioning the lock (R1.6, R1.9), or removing it for a removal order (R1.12). */
@Composable
fun CommissionScreen(state: TechnicianState, padding: PaddingValues, actions: TechnicianActions) {
    val order = state.order ?: return
    Column(
        Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        OrderHeader(order, actions.onCall)
        OutlinedTextField(
            value = state.lockId, onValueChange = actions.onLockId, enabled = !state.busy,
            label = { Text(str("tech_lock_id")) }, singleLine = true, modifier = Modifier.fillMaxWidth(),
        )
        if (order.removal) {
            // R1.12: the parties are contacted before the lock is removed.
            if (order.contacted.isEmpty()) {
                OutlinedTextField(
                    value = state.contactParty, onValueChange = actions.onContactParty, enabled = !state.busy,
                    label = { Text(str("tech_contacted")) }, supportingText = { Text(str("tech_contacted_hint")) },
                    singleLine = true, modifier = Modifier.fillMaxWidth(),
                )
            } else {
                Text(str("tech_contacted_done", order.contacted.joinToString(", ")))
            }
            ProblemBanner(state.problem)
            if (state.busy) Busy(str("tech_removing"))
            PrimaryButton(str("tech_remove"), actions.onRemove, enabled = state.canRemove)
            return@Column
        }
        OutlinedTextField(
            value = state.keyHex, onValueChange = actions.onKeyHex, enabled = !state.busy,
            label = { Text(str("tech_lock_key")) }, supportingText = { Text(str("tech_lock_key_hint")) },
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Ascii),
            modifier = Modifier.fillMaxWidth(),
        )
        if (state.presenceRequired) {
            Banner(str("tech_presence_required"), Tone.WARN, detail = str("tech_presence_required_detail"))
        }
        ProblemBanner(state.problem)
        if (state.busy) Busy(str("tech_commissioning"))
        PrimaryButton(
            if (state.presenceRequired) str("tech_commission_again") else str("tech_commission"),
            actions.onCommission,
            enabled = state.canCommission,
        )
    }
}
