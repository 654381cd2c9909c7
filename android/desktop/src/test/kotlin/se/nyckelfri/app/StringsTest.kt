package se.nyckelfri.app

import java.io.File
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The texts: every key the shared code names exists in Swedish and English,
 * both languages have the same keys, and each text takes the same format
 * arguments in both (a %2$s only in English would crash Swedish phones).
 */
class StringsTest {
    private val sv = XmlStrings("sv").table
    private val en = XmlStrings("en").table
    private val appSrc = File(System.getProperty("nyckelfri.app.src") ?: "../app/src/main/kotlin")

    /** Keys named in code: Msg("key"), str("key", …). */
    private fun usedKeys(): Map<String, String> {
        val pattern = Regex("""\b(?:Msg|str)\(\s*"([a-z0-9_]+)"""")
        val used = mutableMapOf<String, String>()
        val dirs = listOf("se/nyckelfri/app/ui", "se/nyckelfri/app/state").map { File(appSrc, it) }
        for (dir in dirs) for (f in dir.walkTopDown().filter { it.extension == "kt" }) {
            for (m in pattern.findAll(f.readText())) used.putIfAbsent(m.groupValues[1], f.name)
        }
        return used
    }

    @Test
    fun `every key the screens and holders use exists in Swedish and English`() {
        val used = usedKeys()
        assertTrue(used.size > 150, "found only ${used.size} keys; did the pattern break?")
        val missingSv = used.filterKeys { it !in sv }
        val missingEn = used.filterKeys { it !in en }
        assertEquals(emptyMap<String, String>(), missingSv, "missing in values/strings.xml")
        assertEquals(emptyMap<String, String>(), missingEn, "missing in values-en/strings.xml")
    }

    @Test
    fun `both languages have the same keys`() {
        assertEquals(sv.keys - en.keys, emptySet<String>(), "only in Swedish")
        assertEquals(en.keys - sv.keys, emptySet<String>(), "only in English")
    }

    @Test
    fun `placeholders match between the languages`() {
        val arg = Regex("""%(\d+\$)?[sd]""")
        val differ = sv.keys.filter { k ->
            en[k] != null && arg.findAll(sv.getValue(k)).map { it.value }.sorted().toList() != arg.findAll(en.getValue(k)).map { it.value }.sorted().toList()
        }
        assertEquals(emptyList<String>(), differ)
        // Android's getString takes only numbered arguments reliably across locales.
        val unnumbered = (sv + en).filterValues { Regex("""%[sd]""").containsMatchIn(it) }.keys
        assertEquals(emptySet<String>(), unnumbered)
    }

    @Test
    fun `no text is left untranslated or empty`() {
        assertEquals(emptyList<String>(), sv.filterValues { it.isBlank() }.keys.toList())
        assertEquals(emptyList<String>(), en.filterValues { it.isBlank() }.keys.toList())
        // A Swedish text identical to the English one is usually a forgotten translation.
        val same = sv.filter { (k, v) -> en[k] == v && v.length > 12 }.keys
        assertEquals(emptySet<String>(), same)
    }

    @Test
    fun `the Swedish texts use å ä ö and format like Android`() {
        assertTrue(sv.values.any { it.contains('å') } && sv.values.any { it.contains('ö') })
        assertEquals("Nycklarna gäller till 22:00", XmlStrings("sv").format("keys_valid_until", "22:00"))
        assertEquals("The lock's battery is low (12 %). Tell the coordinator.", XmlStrings("en").format("door_battery_low", "12"))
    }
}
