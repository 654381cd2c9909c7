package se.nyckelfri.core

import java.io.File
import java.math.BigInteger
import java.net.HttpURLConnection
import java.net.ServerSocket
import java.net.URI
import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit

/** A platform-keystore-like signer: a JCA EC P-256 key that never leaves this object. */
class JcaSigner : DeviceSigner {
    private val pair: KeyPair = KeyPairGenerator.getInstance("EC").run {
        initialize(ECGenParameterSpec("secp256r1"))
        generateKeyPair()
    }
    val signCalls = java.util.concurrent.atomic.AtomicInteger()

    override fun publicKey(): ByteArray {
        val w = (pair.public as ECPublicKey).w
        return byteArrayOf(0x04) + fixed32(w.affineX) + fixed32(w.affineY)
    }

    override fun sign(message: ByteArray): ByteArray {
        signCalls.incrementAndGet()
        val der = Signature.getInstance("SHA256withECDSA").run {
            initSign(pair.private)
            update(message)
            sign()
        }
        return derToRaw(der)
    }

    companion object {
        fun fixed32(n: BigInteger): ByteArray {
            val b = n.toByteArray()
            return when {
                b.size == 32 -> b
                b.size > 32 -> b.copyOfRange(b.size - 32, b.size)
                else -> ByteArray(32 - b.size) + b
            }
        }

        /** DER SEQUENCE { INTEGER r, INTEGER s } to 64 bytes r || s. */
        fun derToRaw(der: ByteArray): ByteArray {
            var i = 2
            if (der[1].toInt() and 0x80 != 0) i = 2 + (der[1].toInt() and 0x7f)
            require(der[i].toInt() == 0x02)
            val rLen = der[i + 1].toInt()
            val r = BigInteger(1, der.copyOfRange(i + 2, i + 2 + rLen))
            i += 2 + rLen
            require(der[i].toInt() == 0x02)
            val sLen = der[i + 1].toInt()
            val s = BigInteger(1, der.copyOfRange(i + 2, i + 2 + sLen))
            return fixed32(r) + fixed32(s)
        }
    }
}

/** Records the steps the core reports while opening a door. */
class RecordingListener : UnlockListener {
    val steps = CopyOnWriteArrayList<UnlockStep>()
    override fun onStep(step: UnlockStep) {
        steps.add(step)
    }
}

fun tempDir(prefix: String): Path = Files.createTempDirectory(prefix)

fun config(db: Path) = AppConfig(
    databasePath = db.toString(),
    connectTimeoutMs = 2000u,
    messageTimeoutMs = 2000u,
    syncBackoffMs = 20u,
)

fun nowUnix(): Long = System.currentTimeMillis() / 1000

fun freePort(): Int = ServerSocket(0).use { it.localPort }

/**
 * The real nyckelfri-server on loopback with the demo municipality of today.
 * Tokens are issued with a margin of a whole day around each visit, so the
 * day's keys are usable at any hour CI runs (the default margin is 45 min).
 */
class DemoServer : AutoCloseable {
    val dir: Path = tempDir("nf-server")
    val port = freePort()
    val url = "http://127.0.0.1:$port"
    val codes: Map<String, String>
    val locks: List<Triple<String, String, String>> // lock_id, public_key, pkcs8
    val demoOutput: String
    private val process: Process

    init {
        val bin = System.getProperty("nyckelfri.server.bin")
            ?: System.getenv("NYCKELFRI_SERVER_BIN")
            ?: error("set -Dnyckelfri.server.bin or NYCKELFRI_SERVER_BIN")
        val demo = ProcessBuilder(bin, "demo-data", "--data-dir", dir.toString())
            .redirectErrorStream(true).start()
        demoOutput = demo.inputStream.bufferedReader().readText()
        check(demo.waitFor(60, TimeUnit.SECONDS) && demo.exitValue() == 0) { "demo-data failed: $demoOutput" }
        codes = Regex("""^\s+(st-\S+)\s+\S+\s+(\S+)\s*$""", RegexOption.MULTILINE)
            .findAll(demoOutput).associate { it.groupValues[1] to it.groupValues[2] }
        val json = Files.readString(dir.resolve("demo-locks.json"))
        locks = Regex("""\{\s*"lock_id":\s*"([^"]+)",\s*"pkcs8":\s*"([0-9a-f]+)",\s*"public_key":\s*"([0-9a-f]+)"\s*}""")
            .findAll(json).map { Triple(it.groupValues[1], it.groupValues[3], it.groupValues[2]) }.toList()
            .ifEmpty { parseLocksAnyOrder(json) }
        process = ProcessBuilder(
            bin, "serve", "--data-dir", dir.toString(), "--listen", "127.0.0.1:$port",
            "--token-margin-minutes", "1440",
        ).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30)
        while (true) {
            if (runCatching { get("/v1/issuer") }.isSuccess) break
            check(process.isAlive) { "server exited: " + Files.readString(dir.resolve("server.log")) }
            check(System.nanoTime() < deadline) { "server did not start" }
            Thread.sleep(100)
        }
    }

    private fun parseLocksAnyOrder(json: String): List<Triple<String, String, String>> =
        Regex("""\{[^}]*}""").findAll(json).map { obj ->
            fun field(n: String) = Regex(""""$n":\s*"([^"]+)"""").find(obj.value)!!.groupValues[1]
            Triple(field("lock_id"), field("public_key"), field("pkcs8"))
        }.toList()

    fun get(path: String): String {
        val c = URI("$url$path").toURL().openConnection() as HttpURLConnection
        c.connectTimeout = 1000
        c.readTimeout = 5000
        check(c.responseCode == 200) { "GET $path: ${c.responseCode}" }
        return c.inputStream.bufferedReader().readText()
    }

    /** POST to the server's admin API with its admin token (e.g. home care ordering a lock, R1.3). */
    fun adminPost(path: String, json: String): String {
        val token = Files.readString(dir.resolve("admin-token")).trim()
        val c = URI("$url$path").toURL().openConnection() as HttpURLConnection
        c.requestMethod = "POST"
        c.setRequestProperty("Authorization", "Bearer $token")
        c.setRequestProperty("Content-Type", "application/json")
        c.doOutput = true
        c.outputStream.use { it.write(json.toByteArray()) }
        check(c.responseCode == 200) { "POST $path: ${c.responseCode} ${c.errorStream?.bufferedReader()?.readText()}" }
        return c.inputStream.bufferedReader().readText()
    }

    /** The issuer's public key (SEC1, hex) from GET /v1/issuer. */
    fun issuerKeyHex(): String {
        val body = get("/v1/issuer")
        return Regex(""""(?:public_key|issuer_public_key|key)"\s*:\s*"([0-9a-fA-F]{130})"""").find(body)?.groupValues?.get(1)
            ?: Regex("""\b(04[0-9a-fA-F]{128})\b""").find(body)?.groupValues?.get(1)
            ?: error("no issuer key in $body")
    }

    fun code(staffId: String): String = codes[staffId] ?: error("no code for $staffId in:\n$demoOutput")

    /**
     * The server's admin API with its admin token: what home care and the
     * alarm group do from their own systems (ordering a lock, R1.3; booking
     * it for a technician, R1.6), which the app has no screen for, and what
     * the test checks on the server's side.
     */
    fun admin(method: String, path: String, json: String? = null): String {
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

    /**
     * R1.3, R1.6: home care orders a lock for [brukareId] and the alarm group
     * books it for [technicianId] now (no order booked for the technician, no
     * demonstration or installation key). Returns the order's id.
     */
    fun orderBookedFor(brukareId: String, technicianId: String): String {
        val created = admin(
            "POST", "/v1/orders/existing-brukare",
            """{"brukare_id":"$brukareId","name":"Sven Ågren","phone":"+46701234567","address":"Tumba torg 11"}""",
        )
        val id = Regex(""""id"\s*:\s*"([^"]+)"""").find(created)?.groupValues?.get(1) ?: error("no order id in $created")
        admin("POST", "/v1/orders/$id/scheduled", """{"scheduled_for":${nowUnix()},"technician_id":"$technicianId"}""")
        return id
    }

    /** A fresh one-time enrollment code (each code works once). */
    fun newCode(staffId: String): String {
        val bin = System.getProperty("nyckelfri.server.bin") ?: System.getenv("NYCKELFRI_SERVER_BIN")!!
        val p = ProcessBuilder(bin, "enrollment-code", staffId, "--data-dir", dir.toString()).start()
        val out = p.inputStream.bufferedReader().readText().trim()
        check(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) { "enrollment-code failed" }
        return out.lines().last().trim()
    }

    fun lockSet(at: Long = nowUnix()): SimulatedLockSet {
        val issuer = issuerKeyHex()
        return SimulatedLockSet().also { set ->
            for ((id, _, pkcs8) in locks) set.addLock(id, pkcs8, issuer, at.toULong())
        }
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
        dir.toFile().deleteRecursively()
    }
}

fun File.deleteQuietly() = runCatching { deleteRecursively() }

/** A test class with one real server for all its tests (started once, stopped after the last). */
@org.junit.jupiter.api.TestInstance(org.junit.jupiter.api.TestInstance.Lifecycle.PER_CLASS)
abstract class WithDemoServer {
    protected lateinit var server: DemoServer

    @org.junit.jupiter.api.BeforeAll
    fun startServer() {
        server = DemoServer()
    }

    @org.junit.jupiter.api.AfterAll
    fun stopServer() {
        server.close()
    }
}
