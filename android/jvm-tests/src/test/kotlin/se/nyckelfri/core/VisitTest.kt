package se.nyckelfri.core

import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * A care worker's day through Kotlin against the real server on loopback.
 * The server issues tokens with a margin of 24 h around each of today's
 * visits (`--token-margin-minutes 1440`), so the keys are Ready whatever the
 * hour CI runs at (except where a care decision cuts them, which is checked
 * as such). The phone and the simulated locks use the real clock.
 */
class VisitTest : WithDemoServer() {
    @Test
    fun `the server's demo data gives locks and codes for every role`() {
        assertTrue(server.locks.size >= 20, "locks: ${server.locks.size}")
        assertTrue(server.locks.all { it.second.length == 130 && it.second.startsWith("04") })
        assertTrue(server.codes.keys.containsAll(listOf("st-tumba-cw1", "st-tumba-cw2", "st-larm-1")), server.codes.toString())
        assertEquals(130, server.issuerKeyHex().length)
    }

    @Test
    fun `enrolling fails clearly on a closed port and with a bad code`(): Unit = runBlocking {
        NyckelfriApp.openWithSimulatedLocks(config(tempDir("nf-e").resolve("a.db")), JcaSigner(), SimulatedLockSet()).use { app ->
            val closed = "http://127.0.0.1:${freePort()}"
            val n = assertThrows<NyckelfriException.Network> { runBlocking { app.enroll(closed, "whatever", "Testtelefon") } }
            assertTrue(n.reason.isNotEmpty())
            val s = assertThrows<NyckelfriException.Server> { runBlocking { app.enroll(server.url, "NOT-A-CODE", "Testtelefon") } }
            assertTrue(s.status.toInt() in 400..499, "status ${s.status} ${s.code}")
            assertThrows<NyckelfriException.NotEnrolled> { runBlocking { app.sync() } }
        }
    }

    @Test
    fun `a care worker syncs, opens a door with a Kotlin keystore signer, and gets R2_6 guidance for a jammed lock`(): Unit = runBlocking {
        val locks = server.lockSet()
        assertEquals(server.locks.map { it.first }.sorted(), locks.lockIds())
        val signer = JcaSigner()
        NyckelfriApp.openWithSimulatedLocks(config(tempDir("nf-cw").resolve("app.db")), signer, locks).use { app ->
            val enrollment = app.enroll(server.url, server.code("st-tumba-cw1"), "Aminas telefon")
            assertTrue(enrollment.deviceId.isNotEmpty())

            val report = app.sync()
            assertNotNull(report)
            val time = app.trustedTime()
            assertEquals(TimeSource.SERVER_ANCHORED, time.source)
            assertTrue(kotlin.math.abs(time.unix - nowUnix()) < 60)

            val visits = app.todayVisits()
            assertTrue(visits.isNotEmpty(), "cw1 has visits today")
            assertTrue(visits.all { it.unitId == "tumba" && it.startsAt < it.endsAt && it.brukareName.isNotEmpty() })
            assertEquals(visits.sortedBy { it.startsAt }.map { it.startsAt }, visits.map { it.startsAt })
            val ready = visits.filter { it.keyStatus is KeyStatus.Ready }
            assertTrue(ready.isNotEmpty(), "no Ready key: ${visits.map { it.visitId to it.keyStatus }}")
            val until = app.keysValidUntil()
            assertNotNull(until)
            assertTrue(until!! > time.unix)
            for (v in visits) assertEquals(v.keyStatus, app.keyStatus(v.lockId).let { if (v.keyStatus is KeyStatus.Ready) it else v.keyStatus })

            val settings = app.unitSettings("tumba")
            assertEquals("Europe/Stockholm", settings.timeZone)
            assertTrue(settings.coordinatorPhone.startsWith("+46"))

            // Open the door.
            val visit = ready.first()
            val listener = RecordingListener()
            val signsBefore = signer.signCalls.get()
            val outcome = app.openDoor(visit.visitId, listener)
            assertTrue(outcome is UnlockOutcome.Opened, "outcome: $outcome")
            val receipt = (outcome as UnlockOutcome.Opened).receipt
            assertEquals(visit.lockId, receipt.lockId)
            assertEquals(visit.visitId, receipt.visitId)
            assertEquals("ok", receipt.status)
            assertTrue(kotlin.math.abs(receipt.lockTime - nowUnix()) < 120)
            assertTrue(signer.signCalls.get() > signsBefore, "the Kotlin signer signed the unlock")
            assertEquals(UnlockStep.SEARCHING, listener.steps.first())
            assertEquals(UnlockStep.OPEN, listener.steps.last())
            assertTrue(listener.steps.contains(UnlockStep.VERIFYING), listener.steps.toString())
            assertEquals(emptyList<GuidanceStep>(), app.guidanceForOutcome(outcome, visit.visitId, Language.SWEDISH))
            assertEquals(receipt, app.recentReceipts(5u).first())
            assertTrue(app.recentEvents(5u).any { it.kind.contains("unlock") && !it.synced })
            assertTrue(app.pendingEvents() >= 1u)

            // The bolt sticks.
            locks.setJammed(visit.lockId, true)
            val jammed = app.openDoor(visit.visitId, RecordingListener())
            assertTrue(jammed is UnlockOutcome.Jammed, "outcome: $jammed")
            val steps = app.guidanceForOutcome(jammed, visit.visitId, Language.SWEDISH)
            // R2.6 "Om brukare inte kan öppna själv …": asked first, then the coordinator.
            assertEquals("R2.6", steps.first().routineId)
            assertEquals(StepAction.AskBrukareToOpen, steps.first().action)
            val call = steps[1]
            assertEquals("R2.6", call.routineId)
            assertTrue(call.text.contains(settings.coordinatorPhone), call.text)
            assertEquals(StepAction.CallCoordinator(settings.coordinatorPhone), call.action)
            assertTrue(steps.any { it.routineId == "R2.9" })
            val byHand = app.guidanceForFailure(FailureKind.Jammed, null, visit.lockId, Language.ENGLISH)
            assertEquals("R2.6", byHand.first().routineId)
            locks.setJammed(visit.lockId, false)

            val reportId = app.reportFailedLock(FailedLockReport(visit.lockId, visit.visitId, FailureKind.Jammed, listOf("R2.6")))
            app.markStepDone(reportId, "R2.9")
            assertEquals(reportId, app.outageReports(1u).first().reportId)

            // Everything reaches the server on the next sync.
            app.sync()
            assertEquals(0u, app.pendingEvents())
            assertTrue(app.recentEvents(20u).all { it.synced })
            assertEquals(emptyList<PendingUnlock>(), app.pendingUnlocks())

            // Concurrent async calls.
            val outcomes = listOf(
                async { app.keyStatus(visit.lockId) },
                async { app.sync() },
                async { app.todayVisits().size },
            ).awaitAll()
            assertEquals(3, outcomes.size)
        }
    }

    @Test
    fun `installation work is for the alarm group, not a care worker`(): Unit = runBlocking {
        val locks = server.lockSet()
        val lockId = server.locks.first().first
        NyckelfriApp.openWithSimulatedLocks(config(tempDir("nf-cw2").resolve("app.db")), SoftwareSigner.openOrCreate(tempDir("k").resolve("k").toString()), locks).use { app ->
            app.enroll(server.url, server.code("st-tumba-cw2"), "Johans telefon")
            app.sync()
            assertThrows<NyckelfriException> { runBlocking { app.installationOrders() } }
            assertThrows<NyckelfriException> { runBlocking { app.commissionLock("ord-x", "l-ny-01", server.locks.first().second) } }
            assertThrows<NyckelfriException> { runBlocking { app.demonstrate(lockId, Language.SWEDISH, RecordingListener()) } }
            assertThrows<NyckelfriException> { runBlocking { app.finishInstallation(lockId, "b-tumba-01", RecordingListener()) } }
            assertThrows<NyckelfriException> { runBlocking { app.removeLock(lockId, RecordingListener()) } }
        }
        NyckelfriApp.openWithSimulatedLocks(config(tempDir("nf-larm").resolve("app.db")), JcaSigner(), locks).use { app ->
            app.enroll(server.url, server.code("st-larm-1"), "Eriks telefon")
            val orders = app.installationOrders()
            assertTrue(orders.all { it.id.isNotEmpty() }, orders.toString())
        }
    }
}
