package se.nyckelfri.app.platform

import android.content.Context
import android.util.Log
import java.util.concurrent.ConcurrentHashMap
import se.nyckelfri.app.ui.Strings

/**
 * The screens' texts from the app's string resources, so Android picks the
 * language (`values` Swedish, `values-en` English) and per-app language
 * settings apply. The screens name texts by resource name because the same
 * screens also render on the desktop, where there is no `R` class.
 */
class AndroidStrings(private val context: Context) : Strings {
    private val ids = ConcurrentHashMap<String, Int>()

    override operator fun get(name: String): String =
        id(name)?.let(context::getString) ?: name

    override fun format(name: String, vararg args: Any): String =
        id(name)?.let { context.getString(it, *args) } ?: name

    // getIdentifier walks the resource table by name: slow enough to matter
    // while scrolling a list, hence the cache (0 marks a missing name).
    private fun id(name: String): Int? {
        val id = ids.getOrPut(name) {
            context.resources.getIdentifier(name, "string", context.packageName).also {
                if (it == 0) Log.e(TAG, "no string resource named $name")
            }
        }
        return id.takeIf { it != 0 }
    }

    private companion object {
        const val TAG = "AndroidStrings"
    }
}
