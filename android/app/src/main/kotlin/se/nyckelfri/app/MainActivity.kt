package se.nyckelfri.app

import android.os.Bundle
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.unit.dp
import androidx.fragment.app.FragmentActivity
import se.nyckelfri.app.platform.AndroidPlatform
import se.nyckelfri.app.platform.AndroidStrings
import se.nyckelfri.app.platform.coreLanguage
import se.nyckelfri.app.ui.LocalStrings
import se.nyckelfri.app.ui.NyckelfriRoot
import se.nyckelfri.app.ui.NyckelfriTheme
import se.nyckelfri.core.NyckelfriException

/**
 * The one activity. A FragmentActivity because androidx.biometric's prompt
 * needs one; Compose draws everything else.
 */
class MainActivity : FragmentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val app = application as NyckelfriApplication
        // Before setContent: the prompt and permission launchers must exist before the activity starts.
        val platform = AndroidPlatform(this)
        val strings = AndroidStrings(this)
        when (val startup = app.startup) {
            is Startup.Ready -> {
                // The resources' locale, so the core's texts and the screens' speak one language.
                val language = coreLanguage(resources.configuration.locales[0])
                val holders = app.holders(startup.core, language)
                setContent {
                    CompositionLocalProvider(LocalStrings provides strings) {
                        NyckelfriRoot(holders, platform)
                    }
                }
            }
            is Startup.Failed -> setContent { StartupFailed(startup.error) }
        }
    }
}

/** The only screen outside the shared UI: the core did not open, and what to do. */
@Composable
private fun StartupFailed(error: Throwable) {
    val advice = when (error) {
        is NyckelfriException.DatabaseTooNew -> stringResource(R.string.platform_startup_update_app)
        is UnsatisfiedLinkError -> stringResource(R.string.platform_startup_unsupported_phone)
        else -> stringResource(R.string.platform_startup_restart, error.message.orEmpty())
    }
    NyckelfriTheme {
        Surface(Modifier.fillMaxSize()) {
            Column(Modifier.safeDrawingPadding().padding(24.dp)) {
                Text(
                    stringResource(R.string.platform_startup_failed_title),
                    style = MaterialTheme.typography.headlineSmall,
                    modifier = Modifier.semantics { heading() },
                )
                Text(advice, style = MaterialTheme.typography.bodyLarge, modifier = Modifier.padding(top = 16.dp))
            }
        }
    }
}
