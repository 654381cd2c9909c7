package se.nyckelfri.app.ui

import androidx.compose.runtime.Composable
import androidx.compose.runtime.ProvidableCompositionLocal
import androidx.compose.runtime.ReadOnlyComposable
import androidx.compose.runtime.staticCompositionLocalOf
import se.nyckelfri.app.state.Msg

/** Localized strings by resource name, e.g. strings["door_open"], strings.format("keys_valid_until", "22:00"). */
interface Strings {
    operator fun get(name: String): String
    fun format(name: String, vararg args: Any): String
}

/** Unset means a screen was composed outside NyckelfriRoot or a test's frame: fail loudly. */
val LocalStrings: ProvidableCompositionLocal<Strings> =
    staticCompositionLocalOf { error("LocalStrings is not provided") }

/** The text of a state holder's message in the user's language. */
@Composable
@ReadOnlyComposable
fun text(m: Msg): String {
    val s = LocalStrings.current
    return if (m.args.isEmpty()) s[m.key] else s.format(m.key, *m.args.toTypedArray())
}

/** A string resource by name. */
@Composable
@ReadOnlyComposable
fun str(name: String): String = LocalStrings.current[name]

/** A string resource with format arguments. */
@Composable
@ReadOnlyComposable
fun str(name: String, vararg args: Any): String = LocalStrings.current.format(name, *args)
