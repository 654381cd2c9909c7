package se.nyckelfri.app.platform

import java.util.Locale
import se.nyckelfri.core.Language

/**
 * The core's language for the app's locale. Mirrors how Android picks the
 * resources: `values-en` for English, the Swedish `values` for everything
 * else, so the core's guidance and the screens never speak two languages.
 */
fun coreLanguage(locale: Locale): Language =
    if (locale.language == Locale.ENGLISH.language) Language.ENGLISH else Language.SWEDISH
