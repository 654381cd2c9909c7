package se.nyckelfri.app

import java.io.File
import java.util.Locale
import javax.xml.parsers.DocumentBuilderFactory
import org.w3c.dom.Element
import se.nyckelfri.app.ui.Strings

/**
 * The app's Android string resources read on the desktop: the same XML
 * files, the same escapes and format syntax as Android's getString, so a
 * rendered screen shows what the phone would. A missing key throws: a
 * screen that renders has all its texts.
 */
class XmlStrings(val lang: String) : Strings {
    val table: Map<String, String> = load(lang)
    private val locale = if (lang == "sv") Locale.forLanguageTag("sv-SE") else Locale.UK

    override fun get(name: String): String = table[name] ?: throw MissingKey(name, lang)
    override fun format(name: String, vararg args: Any): String = String.format(locale, get(name), *args)

    class MissingKey(name: String, lang: String) : IllegalStateException("no string \"$name\" in $lang")

    companion object {
        val resDir: File = File(System.getProperty("nyckelfri.res") ?: "../app/src/main/res")

        fun folder(lang: String) = File(resDir, if (lang == "sv") "values" else "values-$lang")

        /** Every strings*.xml of the language's folder (the platform's own file too). */
        fun load(lang: String): Map<String, String> {
            val files = folder(lang).listFiles { f -> f.name.startsWith("strings") && f.name.endsWith(".xml") }.orEmpty()
            return files.sorted().flatMap { parse(it).entries }.associate { it.key to it.value }
        }

        fun parse(file: File): Map<String, String> {
            val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file)
            val nodes = doc.getElementsByTagName("string")
            return (0 until nodes.length).associate { i ->
                val e = nodes.item(i) as Element
                e.getAttribute("name") to unescape(e.textContent)
            }
        }

        /** Android's resource escapes: \' \" \n \t \@ \? and \\. */
        fun unescape(s: String): String {
            val out = StringBuilder()
            var i = 0
            while (i < s.length) {
                val c = s[i]
                if (c == '\\' && i + 1 < s.length) {
                    out.append(
                        when (val n = s[i + 1]) {
                            'n' -> '\n'
                            't' -> '\t'
                            else -> n
                        },
                    )
                    i += 2
                } else {
                    out.append(c)
                    i++
                }
            }
            return out.toString()
        }
    }
}
