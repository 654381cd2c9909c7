package se.nyckelfri.app

/** A string field of a JSON object, e.g. the order's "id" or "status". */
fun jsonField(json: String, name: String): String? =
    Regex(""""$name"\s*:\s*"([^"]*)"""").find(json)?.groupValues?.get(1)
