package se.nyckelfri.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.attribute.PosixFilePermissions
import java.security.KeyFactory
import java.security.Signature
import java.security.spec.ECPoint
import java.security.spec.ECPublicKeySpec
import java.math.BigInteger

/** What works on a phone with no network and no enrollment. */
class OfflineTest {
    private val dir = tempDir("nf-offline")

    private fun app(signer: DeviceSigner = JcaSigner()) =
        NyckelfriApp.openWithSimulatedLocks(config(dir.resolve("app.db")), signer, SimulatedLockSet())

    @Test
    fun `a software key file is private, reloads as the same key and signs r-s`() {
        val path = dir.resolve("device.key")
        val a = SoftwareSigner.openOrCreate(path.toString())
        assertEquals(setOf("OWNER_READ", "OWNER_WRITE"), Files.getPosixFilePermissions(path).map { it.name }.toSet())
        val b = SoftwareSigner.openOrCreate(path.toString())
        val pub = a.publicKey()
        assertEquals(65, pub.size)
        assertEquals(0x04, pub[0].toInt())
        assertArrayEquals(pub, b.publicKey())
        val sig = b.sign("hej".toByteArray())
        assertEquals(64, sig.size)
        // Verify r||s with the JCA, from the SEC1 point.
        val params = (java.security.KeyPairGenerator.getInstance("EC").apply {
            initialize(java.security.spec.ECGenParameterSpec("secp256r1"))
        }.generateKeyPair().public as java.security.interfaces.ECPublicKey).params
        val key = KeyFactory.getInstance("EC").generatePublic(
            ECPublicKeySpec(ECPoint(BigInteger(1, pub.copyOfRange(1, 33)), BigInteger(1, pub.copyOfRange(33, 65))), params),
        )
        val der = rawToDer(sig)
        assertTrue(Signature.getInstance("SHA256withECDSA").run { initVerify(key); update("hej".toByteArray()); verify(der) })
        // It opens the app too.
        NyckelfriApp.openWithSimulatedLocks(config(dir.resolve("sw.db")), a, SimulatedLockSet()).close()
    }

    @Test
    fun `a key file others can read is refused with KeyFile`() {
        val path = dir.resolve("shared.key")
        SoftwareSigner.openOrCreate(path.toString())
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-r--r--"))
        val e = assertThrows<NyckelfriException.KeyFile> { SoftwareSigner.openOrCreate(path.toString()) }
        assertTrue(e.reason.contains("600"), e.reason)
    }

    @Test
    fun `a fresh app is empty, on the phone clock, and asks to enroll before sync`(): Unit = runBlocking {
        val signer = JcaSigner()
        app(signer).use { app ->
            val t = app.trustedTime()
            assertEquals(TimeSource.PHONE_CLOCK, t.source)
            assertTrue(kotlin.math.abs(t.unix - nowUnix()) < 60)
            assertEquals(emptyList<VisitView>(), app.todayVisits())
            assertEquals(KeyStatus.NoKey(null), app.keyStatus("l-unknown"))
            assertNull(app.keysValidUntil())
            assertEquals(0u, app.pendingEvents())
            assertEquals(emptyList<EventView>(), app.recentEvents(10u))
            assertEquals(emptyList<ReceiptView>(), app.recentReceipts(10u))
            assertEquals(emptyList<PendingUnlock>(), app.pendingUnlocks())
            assertThrows<NyckelfriException.NotEnrolled> { runBlocking { app.sync() } }
            assertThrows<NyckelfriException.NotEnrolled> { runBlocking { app.installationOrders() } }
            val nf = assertThrows<NyckelfriException.NotFound> { runBlocking { app.openDoor("v-nope", RecordingListener()) } }
            assertTrue(nf.what.contains("v-nope"), nf.what)
            assertThrows<NyckelfriException.NotFound> { app.unitSettings("tumba") }
        }
    }

    @Test
    fun `bad input is InvalidInput`(): Unit = runBlocking {
        app().use { app ->
            val e = assertThrows<NyckelfriException.InvalidInput> { app.applyBundleJson("{not json") }
            assertTrue(e.reason.startsWith("bundle"), e.reason)
            assertThrows<NyckelfriException.InvalidInput> { runBlocking { app.commissionLock("ord-x", "l-new", "not hex") } }
        }
        val locks = SimulatedLockSet()
        assertThrows<NyckelfriException.InvalidInput> { locks.addLock("l-1", "zz", "04", 0uL) }
        assertThrows<NyckelfriException.NotFound> { locks.setJammed("l-none", true) }
        assertEquals(emptyList<String>(), locks.lockIds())
        locks.setTime(nowUnix().toULong())
    }

    @Test
    fun `a garbage database is moved aside with DatabaseCorrupt, and opening again starts fresh`() {
        val db = dir.resolve("broken.db")
        Files.write(db, ByteArray(8192) { (it * 31 + 7).toByte() })
        val e = assertThrows<NyckelfriException.DatabaseCorrupt> {
            NyckelfriApp.openWithSimulatedLocks(config(db), JcaSigner(), SimulatedLockSet())
        }
        assertTrue(Files.exists(java.nio.file.Path.of(e.movedTo)), e.movedTo)
        NyckelfriApp.openWithSimulatedLocks(config(db), JcaSigner(), SimulatedLockSet()).use {
            assertEquals(0u, it.pendingEvents())
        }
    }

    @Test
    fun `the brukare's signed receipt verifies, is tamper-evident and renders as a PDF`() {
        val signer = JcaSigner()
        app(signer).use { app ->
            val stroke = SignatureStroke(listOf(StrokePoint(0.1f, 0.5f), StrokePoint(0.5f, 0.4f), StrokePoint(0.9f, 0.6f)))
            val before = signer.signCalls.get()
            val r = app.signInstallationReceipt("l-1", "b-1", "Astrid B.", 1u, Language.SWEDISH, BrukareConsent.Signed(listOf(stroke)))
            assertTrue(signer.signCalls.get() > before, "signed with the Kotlin keystore signer")
            assertTrue(app.verifyInstallationReceipt(r))
            assertFalse(app.verifyInstallationReceipt(r.copy(contentJson = r.contentJson.replace("Astrid", "Bertil"))))
            val pdf = app.installationReceiptPdf(r, Language.ENGLISH)
            assertEquals("%PDF", String(pdf.copyOfRange(0, 4)))
            // R1.9's exception: a second person and the reason.
            val w = app.signInstallationReceipt(
                "l-1", "b-1", "Astrid B.", 1u, Language.ENGLISH, BrukareConsent.Confirmed("anhörig Eva S.", "skadad hand"),
            )
            assertNotEquals(r.receiptId, w.receiptId)
            assertThrows<NyckelfriException.InvalidInput> {
                app.signInstallationReceipt("l-1", "b-1", "Astrid B.", 1u, Language.SWEDISH, BrukareConsent.Confirmed("anhörig Eva S.", " "))
            }
            assertThrows<NyckelfriException.InvalidInput> {
                app.signInstallationReceipt("l-1", "b-1", "Astrid B.", 99u, Language.SWEDISH, BrukareConsent.Confirmed("x", "y"))
            }
        }
    }

    @Test
    fun `a failed-lock report needs the unit's settings from a first sync`() {
        app().use { app ->
            val e = assertThrows<NyckelfriException.NotFound> {
                app.reportFailedLock(FailedLockReport("l-1", null, FailureKind.Jammed, listOf()))
            }
            assertTrue(e.what.contains("sync first"), e.what)
            assertEquals(emptyList<OutageReportView>(), app.outageReports(10u))
        }
    }

    private fun rawToDer(raw: ByteArray): ByteArray {
        fun int(b: ByteArray): ByteArray {
            val v = BigInteger(1, b).toByteArray()
            return byteArrayOf(0x02, v.size.toByte()) + v
        }
        val body = int(raw.copyOfRange(0, 32)) + int(raw.copyOfRange(32, 64))
        return byteArrayOf(0x30, body.size.toByte()) + body
    }
}
