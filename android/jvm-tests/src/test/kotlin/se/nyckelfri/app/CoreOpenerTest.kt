package se.nyckelfri.app

import java.io.File
import java.security.KeyPairGenerator
import java.security.spec.ECGenParameterSpec
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import se.nyckelfri.app.platform.JcaDeviceSigner
import se.nyckelfri.app.platform.openCore
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.NyckelfriException
import se.nyckelfri.core.SimulatedLockSet
import se.nyckelfri.core.config
import se.nyckelfri.core.tempDir

/** The app's start against the real core: a damaged database never locks the worker out. */
class CoreOpenerTest {
    private val signer = JcaDeviceSigner(
        KeyPairGenerator.getInstance("EC").run { initialize(ECGenParameterSpec("secp256r1")); generateKeyPair() }
            .let { pair -> { pair } },
    )

    private fun open(db: File) = NyckelfriApp.openWithSimulatedLocks(config(db.toPath()), signer, SimulatedLockSet())

    @Test
    fun `a healthy database opens once, with nothing moved aside`() {
        val db = tempDir("nf-open").resolve("app.db").toFile()
        openCore { open(db) }.run {
            app.use { assertEquals(0u, it.pendingEvents()) }
            assertNull(damagedDatabaseMovedTo)
        }
    }

    @Test
    fun `a damaged database is kept aside and the app starts on a fresh one`() {
        val db = tempDir("nf-damaged").resolve("app.db").toFile()
        val garbage = ByteArray(8192) { (it * 31 + 7).toByte() }
        db.writeBytes(garbage)
        val opened = openCore { open(db) }
        opened.app.use { assertEquals(emptyList<Any>(), it.todayVisits()) }
        assertNotNull(opened.damagedDatabaseMovedTo)
        val moved = File(opened.damagedDatabaseMovedTo!!)
        assertArrayEquals(garbage, moved.readBytes(), "the damaged file is kept for recovery, unchanged")
    }

    @Test
    fun `other failures are not retried`() {
        var calls = 0
        assertThrows<NyckelfriException.Storage> {
            openCore { calls++; throw NyckelfriException.Storage("disk full") }
        }
        assertEquals(1, calls)
    }
}
