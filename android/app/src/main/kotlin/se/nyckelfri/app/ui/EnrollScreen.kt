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
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.input.ImeAction
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.EnrollState

/** Enrolling the phone with the one-time code the coordinator gave. */
@Composable
fun EnrollScreen(
    state: EnrollState,
    padding: PaddingValues,
    onServerUrl: (String) -> Unit,
    onCode: (String) -> Unit,
    onLabel: (String) -> Unit,
    onEnroll: () -> Unit,
) {
    Column(
        Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
    ) {
        Text(str("enroll_intro"), style = MaterialTheme.typography.bodyLarge)
        OutlinedTextField(
            value = state.serverUrl, onValueChange = onServerUrl, enabled = !state.busy,
            label = { Text(str("enroll_server")) }, singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Uri, imeAction = ImeAction.Next),
            modifier = Modifier.fillMaxWidth(),
        )
        OutlinedTextField(
            value = state.code, onValueChange = onCode, enabled = !state.busy,
            label = { Text(str("enroll_code")) }, supportingText = { Text(str("enroll_code_hint")) }, singleLine = true,
            keyboardOptions = KeyboardOptions(capitalization = KeyboardCapitalization.Characters, imeAction = ImeAction.Next),
            modifier = Modifier.fillMaxWidth(),
        )
        OutlinedTextField(
            value = state.label, onValueChange = onLabel, enabled = !state.busy,
            label = { Text(str("enroll_label")) }, supportingText = { Text(str("enroll_label_hint")) }, singleLine = true,
            keyboardOptions = KeyboardOptions(imeAction = ImeAction.Done),
            modifier = Modifier.fillMaxWidth(),
        )
        ProblemBanner(state.problem)
        if (state.busy) Busy(str("enroll_busy"))
        PrimaryButton(str("enroll_submit"), onEnroll, enabled = state.canSubmit)
    }
}
