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
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.semantics.stateDescription
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.MessageRow
import se.nyckelfri.app.state.MessagesState

/** The role's inbox; unread messages in bold. */
@Composable
fun MessagesScreen(state: MessagesState, padding: PaddingValues, onOpen: (String) -> Unit, onReload: () -> Unit) {
    ServerList(
        padding, state.messages, key = { it.id }, state.problem, state.loading,
        ServerListTexts("messages_loading", "messages_none", Tone.INFO, "messages_reload"), onReload,
    ) { m -> MessageCard(m, onClick = { onOpen(m.id) }) }
}

@Composable
private fun MessageCard(m: MessageRow, onClick: () -> Unit) {
    val unread = str("messages_unread")
    Card(
        Modifier.fillMaxWidth().heightIn(min = BigTouch)
            .clickable(onClickLabel = str("messages_open_action"), role = Role.Button, onClick = onClick)
            .semantics { if (!m.read) stateDescription = unread },
    ) {
        Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                if (!m.read) Chip(unread, Tone.WARN)
                m.routineStep?.let { Chip(it, Tone.INFO) }
                Text(m.at, style = MaterialTheme.typography.bodyMedium)
            }
            Text(
                m.subject,
                style = MaterialTheme.typography.titleMedium,
                fontWeight = if (m.read) FontWeight.Normal else FontWeight.Bold,
            )
            Text(m.body, style = MaterialTheme.typography.bodyMedium, maxLines = 2, overflow = TextOverflow.Ellipsis)
            m.deadline?.let { Chip(str("messages_deadline", it), Tone.WARN) }
        }
    }
}

/** One message in full. */
@Composable
fun MessageScreen(m: MessageRow, padding: PaddingValues) {
    Column(
        Modifier.fillMaxSize().padding(padding).verticalScroll(rememberScrollState()).padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        Text(m.subject, style = MaterialTheme.typography.headlineSmall)
        Row(verticalAlignment = Alignment.CenterVertically, horizontalArrangement = Arrangement.spacedBy(8.dp)) {
            m.routineStep?.let { Chip(it, Tone.INFO) }
            Text(listOfNotNull(m.from?.let { text(it) }, m.at).joinToString(" · "), style = MaterialTheme.typography.bodyMedium)
        }
        m.deadline?.let { Banner(str("messages_deadline", it), Tone.WARN) }
        Text(m.body, style = MaterialTheme.typography.bodyLarge)
    }
}
