package se.nyckelfri.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The alarm group's installation visit through Kotlin, on a factory-new simulated lock (R1.9). */
class TechnicianTest : WithDemoServer() {
    @Test
    fun `a new lock is commissioned only after the setup button, then demonstrated and signed for r1_9`(): Unit = runBlocking {
        val locks = server.lockSet()
        val label = locks.addFactoryNewLock(nowUnix().toULong())
        assertEquals(130, label.length)
        assertFalse(locks.lockIds().contains("l-kt-new"), "factory-new locks have no id yet")
        // R1.3, R1.6: home care's order (a grant only for an open
        // installation order of a door lock), booked for this technician:
        // no order, no key.
        val orderId = server.orderBookedFor("b-tumba-14", "st-larm-1")
        NyckelfriApp.openWithSimulatedLocks(config(tempDir("nf-t").resolve("app.db")), JcaSigner(), locks).use { tech ->
            tech.enroll(server.url, server.code("st-larm-1"), "Eriks telefon")
            val order = tech.installationOrders().first { it.id == orderId }
            assertEquals("scheduled", order.status)

            // Nobody pressed the button inside the door: refused.
            assertEquals("presence_required", tech.commissionLock(order.id, "l-kt-new", label).status)
            assertThrows<NyckelfriException.NotFound> { locks.pressSetupButton("04" + "00".repeat(64)) }
            locks.pressSetupButton(label.uppercase())
            val done = tech.commissionLock(order.id, "l-kt-new", label)
            assertEquals("ok", done.status)
            assertFalse(done.factoryResetNeeded)
            assertTrue(locks.lockIds().contains("l-kt-new"))

            val demo = tech.demonstrate("l-kt-new", Language.SWEDISH, RecordingListener())
            assertTrue(demo.take(2).all { it.outcome is UnlockOutcome.Opened }, demo.toString())
            assertTrue(demo.drop(2).all { it.text.isNotEmpty() })

            val receipt = tech.signInstallationReceipt(
                "l-kt-new", "b-tumba-01", "Elsa N.", 1u, Language.SWEDISH,
                BrukareConsent.Signed(listOf(SignatureStroke((0..9).map { StrokePoint(it / 10f, 0.5f) }))),
            )
            assertTrue(tech.verifyInstallationReceipt(receipt))
            assertTrue(tech.verifyInstallationReceipt(receipt.copy(contentJson = receipt.contentJson.replace("Elsa N.", "Någon annan"))).not())
            val pdf = tech.installationReceiptPdf(receipt, Language.SWEDISH)
            assertEquals("%PDF", String(pdf.copyOfRange(0, 4)))
        }
    }

    @Test
    fun `the shells map an outcome to the failure they report r2_9`() {
        assertEquals(FailureKind.LockNotFound, failureKindForOutcome(UnlockOutcome.LockNotFound))
        assertEquals(FailureKind.LinkLost, failureKindForOutcome(UnlockOutcome.LinkLost))
    }
}
