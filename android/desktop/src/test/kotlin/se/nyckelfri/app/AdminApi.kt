package se.nyckelfri.app

import java.net.HttpURLConnection
import java.net.URI
import java.nio.file.Files
import se.nyckelfri.core.DemoServer

/**
 * The server's admin API with its admin token: what home care and the
 * authority do from their own systems (ordering a lock, R1.3), which the
 * app has no screen for, and what the test checks on the server's side.
 */
fun DemoServer.admin(method: String, path: String, json: String? = null): String {
    val token = Files.readString(dir.resolve("admin-token")).trim()
    val c = URI("$url$path").toURL().openConnection() as HttpURLConnection
    c.requestMethod = method
    c.setRequestProperty("Authorization", "Bearer $token")
    if (json != null) {
        c.doOutput = true
        c.setRequestProperty("Content-Type", "application/json")
        c.outputStream.use { it.write(json.toByteArray()) }
    }
    check(c.responseCode == 200) { "$method $path: ${c.responseCode} ${c.errorStream?.bufferedReader()?.readText()}" }
    return c.inputStream.bufferedReader().readText()
}

/** A string field of a JSON object, e.g. the order's "id" or "status". */
fun jsonField(json: String, name: String): String? =
    Regex(""""$name"\s*:\s*"([^"]*)"""").find(json)?.groupValues?.get(1)
