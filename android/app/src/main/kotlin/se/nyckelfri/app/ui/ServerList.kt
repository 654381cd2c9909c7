package se.nyckelfri.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import se.nyckelfri.app.state.Msg

/** The texts around a list fetched from the server, by string resource name. */
class ServerListTexts(val loading: String, val none: String, val noneTone: Tone, val reload: String)

/**
 * A list fetched from the server (outages, messages, orders): why the last
 * load failed, a busy line while loading, the rows and a reload button.
 * "None" shows only when a load worked and found nothing: offline, an empty
 * list would tell the coordinator there is nothing to do.
 */
@Composable
fun <T> ServerList(
    padding: PaddingValues,
    rows: List<T>,
    key: (T) -> Any,
    problem: Msg?,
    loading: Boolean,
    texts: ServerListTexts,
    onReload: () -> Unit,
    row: @Composable (T) -> Unit,
) {
    LazyColumn(
        Modifier.fillMaxSize().padding(padding),
        contentPadding = PaddingValues(16.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        item {
            Column(verticalArrangement = Arrangement.spacedBy(8.dp)) {
                ProblemBanner(problem)
                if (loading) Busy(str(texts.loading))
                if (rows.isEmpty() && !loading && problem == null) Banner(str(texts.none), texts.noneTone)
            }
        }
        items(rows, key = key) { row(it) }
        item { SecondaryButton(str(texts.reload), onReload, enabled = !loading) }
    }
}
