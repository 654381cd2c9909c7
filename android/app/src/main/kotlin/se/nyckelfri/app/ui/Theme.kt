package se.nyckelfri.app.ui

import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.graphics.Color

/** Colours with at least 4.5:1 contrast for text, readable in daylight on a doorstep. */
object Palette {
    val Primary = Color(0xFF0B5394)
    val OnPrimary = Color.White
    val Ok = Color(0xFF1B6B2F)
    val OkContainer = Color(0xFFD8F0DC)
    val Warn = Color(0xFF8A4B00)
    val WarnContainer = Color(0xFFFFE8C7)
    val Error = Color(0xFFB3261E)
    val ErrorContainer = Color(0xFFFADCD9)
}

@Composable
fun NyckelfriTheme(content: @Composable () -> Unit) {
    MaterialTheme(
        colorScheme = lightColorScheme(
            primary = Palette.Primary,
            onPrimary = Palette.OnPrimary,
            primaryContainer = Color(0xFFD3E4F8),
            onPrimaryContainer = Color(0xFF062B4F),
            secondaryContainer = Color(0xFFE3E8EF),
            error = Palette.Error,
            errorContainer = Palette.ErrorContainer,
            onErrorContainer = Color(0xFF410E0B),
            background = Color(0xFFF8F9FB),
            // Cards: a neutral blue-grey instead of Material's default lilac.
            surfaceVariant = Color(0xFFE4E9F0),
            onSurfaceVariant = Color(0xFF2F353D),
            surfaceContainerHighest = Color(0xFFE4E9F0),
            surfaceContainer = Color(0xFFEDF0F4),
            surface = Color(0xFFF8F9FB),
        ),
        content = content,
    )
}
