package se.nyckelfri.app

import java.security.KeyPair
import java.security.KeyPairGenerator
import java.security.KeyStoreException
import java.security.Signature
import java.security.spec.ECGenParameterSpec
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import se.nyckelfri.app.platform.JcaDeviceSigner
import se.nyckelfri.core.DemoServer
import se.nyckelfri.core.KeyStatus
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.NyckelfriException
import se.nyckelfri.core.RecordingListener
import se.nyckelfri.core.UnlockOutcome
import se.nyckelfri.core.config
import se.nyckelfri.core.tempDir

/**
 * The app's signer (the same class KeystoreSigner wraps around the Android
 * keystore's key) over a JDK key pair, checked by the real core: the core
 * verifies each signature against the registered key before using it, and
 * the lock verifies it again.
 */
class JcaDeviceSignerTest {
    private val pair: KeyPair = KeyPairGenerator.getInstance("EC").run {
        initialize(ECGenParameterSpec("secp256r1"))
        generateKeyPair()
    }

    @Test
    fun `signatures are 64 bytes r and s that verify with the key`() {
        val signer = JcaDeviceSigner { pair }
        val sig = signer.sign("hello".toByteArray())
        assertEquals(64, sig.size)
        val ok = Signature.getInstance("SHA256withECDSAinP1363Format").run {
            initVerify(pair.public); update("hello".toByteArray()); verify(sig)
        }
        assertTrue(ok)
        assertEquals(65, signer.publicKey().size)
    }

    @Test
    fun `a keystore failure reaches the core as a Signer error with its reason`() {
        val signer = JcaDeviceSigner { throw KeyStoreException("key permanently invalidated") }
        val e = assertThrows<NyckelfriException.Signer> { signer.sign(byteArrayOf(1)) }
        assertTrue(e.reason.contains("key permanently invalidated"), e.reason)
        assertThrows<NyckelfriException.Signer> { signer.publicKey() }
    }

    @Test
    fun `a keystore key that is not P-256 stops the core from opening with a Signer error`() {
        val rsa = KeyPairGenerator.getInstance("RSA").run { initialize(2048); generateKeyPair() }
        val e = assertThrows<NyckelfriException.Signer> {
            NyckelfriApp.openWithSimulatedLocks(config(tempDir("nf-rsa").resolve("a.db")), JcaDeviceSigner { rsa }, se.nyckelfri.core.SimulatedLockSet())
        }
        assertTrue(e.message!!.contains("P-256"), e.message)
    }

    @Test
    fun `a worker enrolls and opens a door signing with the app's signer`(): Unit = runBlocking {
        DemoServer().use { server ->
            val locks = server.lockSet()
            NyckelfriApp.openWithSimulatedLocks(config(tempDir("nf-jca").resolve("app.db")), JcaDeviceSigner { pair }, locks).use { app ->
                app.enroll(server.url, server.code("st-tumba-cw1"), "Testtelefon")
                app.sync()
                val visit = app.todayVisits().first { it.keyStatus is KeyStatus.Ready }
                val outcome = app.openDoor(visit.visitId, RecordingListener())
                assertTrue(outcome is UnlockOutcome.Opened, "outcome: $outcome")
            }
        }
    }
}
