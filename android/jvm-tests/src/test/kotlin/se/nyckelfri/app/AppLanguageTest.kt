package se.nyckelfri.app

import java.util.Locale
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import se.nyckelfri.app.platform.coreLanguage
import se.nyckelfri.core.Language

class AppLanguageTest {
    @Test
    fun `English locales get English, every other locale the Swedish default`() {
        for (tag in listOf("en", "en-GB", "en-US", "en-SE")) {
            assertEquals(Language.ENGLISH, coreLanguage(Locale.forLanguageTag(tag)), tag)
        }
        for (tag in listOf("sv", "sv-SE", "sv-FI", "fi-FI", "ar", "de", "und")) {
            assertEquals(Language.SWEDISH, coreLanguage(Locale.forLanguageTag(tag)), tag)
        }
    }
}
