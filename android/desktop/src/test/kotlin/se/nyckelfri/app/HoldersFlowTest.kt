package se.nyckelfri.app

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import se.nyckelfri.app.state.AppHolders
import se.nyckelfri.app.state.DoorPhase
import se.nyckelfri.app.state.KeyBadge
import se.nyckelfri.app.state.Msg
import se.nyckelfri.app.state.Role
import se.nyckelfri.core.DemoServer
import se.nyckelfri.core.Language
import se.nyckelfri.core.SimulatedLockSet
import se.nyckelfri.core.freePort

/**
 * The state holders against the real core library and the real server on
 * loopback, with simulated locks: what each screen would show, step by step.
 */
class HoldersFlowTest : WithPhones() {
    private val locks: SimulatedLockSet by lazy { server.lockSet() }

    private fun holders(name: String, set: SimulatedLockSet = locks, language: Language = Language.SWEDISH): AppHolders =
        holdersOf(openCore("ui-$name", set), language)

    @Test
    fun `a care worker's visit through the screens' holders, a jammed lock and its routine r2_6 r2_9`(): Unit = runBlocking {
        val h = enrolled(holders("cw1"), "st-tumba-cw1")
        assertEquals(Role.CARE_WORKER, h.enroll.state.value.session?.role)

        // Today's visits with a ready key and until when the keys hold.
        h.visits.sync().join()
        val visits = h.visits.state.value
        assertEquals(false, visits.offline)
        assertNull(visits.problem)
        assertNotNull(visits.lastSync)
        assertNotNull(visits.keysValidUntil)
        val visit = visits.visits.first { it.key is KeyBadge.Ready }
        assertTrue(visit.brukareName.isNotEmpty() && visit.time.matches(Regex("""\d\d:\d\d–\d\d:\d\d""")), visit.toString())

        // The door: the prompt comes first, and the core has done nothing by then.
        var eventsAtConfirm = -1
        h.door.show(visit)
        h.door.open {
            eventsAtConfirm = h.core.recentEvents(100u).size
            assertEquals(DoorPhase.Confirming, h.door.state.value.phase)
            true
        }.join()
        assertEquals(DoorPhase.Opened(), h.door.state.value.phase)
        assertTrue(h.core.recentEvents(100u).size > eventsAtConfirm, "opening recorded an event after the prompt")
        h.visits.refresh().join()
        assertTrue(h.visits.state.value.pendingEvents >= 1)

        // The bolt sticks: the failure, then the routine: can the brukare open, then the coordinator's number (R2.6).
        locks.setJammed(visit.lockId, true)
        try {
            h.door.open { true }.join()
        } finally {
            locks.setJammed(visit.lockId, false)
        }
        assertEquals(DoorPhase.Failed(Msg("door_failed_jammed"), guidance = true), h.door.state.value.phase)
        h.guidance.forOutcome(h.door.lastOutcome!!, visit).join()
        val g = h.guidance.state.value
        assertNull(g.problem)
        val phone = h.core.unitSettings("tumba").coordinatorPhone
        // R2.6 "Om brukare inte kan öppna själv …" is asked first; then the call.
        assertEquals("R2.6", g.steps.first().routineId)
        assertNull(g.steps.first().callNumber)
        assertEquals("R2.6", g.steps[1].routineId)
        assertEquals(phone, g.steps[1].callNumber)
        assertTrue(g.steps[1].text.contains(phone))
        assertTrue(g.steps.any { it.routineId == "R2.9" && it.documents }, g.steps.toString())
        assertTrue(g.steps.all { it.routineId == null || it.routineId!!.startsWith("R2.") })

        // The call is made, then the report (R2.9) carries it.
        h.guidance.markDone(1).join()
        assertEquals(listOf("R2.6"), h.guidance.state.value.doneIds)
        h.report.start(h.guidance.state.value).join()
        assertEquals(Msg("cause_jammed"), h.report.state.value.failureCause)
        h.report.send { h.guidance.reported(it) }.join()
        val r = h.report.state.value
        assertNull(r.problem)
        assertNotNull(r.sentReportId)
        val reportId = r.sentReportId!!
        assertEquals(reportId, r.reports.first().reportId)
        assertEquals(Msg("cause_jammed"), r.reports.first().cause)
        assertTrue(r.reports.first().stepsDone.containsAll(listOf("R2.6", "R2.9")), r.reports.first().toString())

        // A step ticked after the report reaches the report (the spare key, R2.1 by day or R2.2 by night).
        val keyStep = h.guidance.state.value.steps.indexOfFirst { it.routineId == "R2.1" || it.routineId == "R2.2" }
        h.guidance.markDone(keyStep).join()
        val id = h.guidance.state.value.steps[keyStep].routineId!!
        val stored = h.core.outageReports(1u).first()
        assertEquals(reportId, stored.reportId)
        assertNotNull(stored.steps.first { it.routineId == id }.doneAt, "$id done in the stored report")

        // Everything reaches the server on the next sync.
        h.visits.sync().join()
        assertEquals(0, h.visits.state.value.pendingEvents)
    }

    @Test
    fun `a cancelled confirmation never reaches the core`(): Unit = runBlocking {
        val h = enrolled(holders("cw2"), "st-tumba-cw2")
        h.visits.sync().join()
        val visit = h.visits.state.value.visits.first { it.key is KeyBadge.Ready }
        val events = h.core.recentEvents(100u)
        val receipts = h.core.recentReceipts(100u)
        val pending = h.core.pendingEvents()
        h.door.show(visit)
        h.door.open { false }.join()
        assertEquals(DoorPhase.NotConfirmed, h.door.state.value.phase)
        assertNull(h.door.lastOutcome)
        assertEquals(events, h.core.recentEvents(100u))
        assertEquals(receipts, h.core.recentReceipts(100u))
        assertEquals(pending, h.core.pendingEvents())
    }

    @Test
    fun `offline the visits keep the day and say until when the keys are valid`(): Unit = runBlocking {
        val own = DemoServer()
        val h = try {
            enrolled(holders("offline", own.lockSet()), "st-tumba-cw3", own).also { it.visits.sync().join() }
        } finally {
            own.close()
        }
        h.visits.sync().join()
        val s = h.visits.state.value
        assertTrue(s.offline)
        assertNull(s.problem, "offline is not a problem: ${s.problem}")
        assertTrue(s.visits.isNotEmpty())
        assertNotNull(s.keysValidUntil)
        assertTrue(s.keysValidUntil!!.matches(Regex("""\d\d:\d\d""")))
        // The door still opens offline.
        h.door.show(s.visits.first { it.key is KeyBadge.Ready })
        h.door.open { true }.join()
        assertEquals(DoorPhase.Opened(), h.door.state.value.phase)
    }

    @Test
    fun `enrolling says what to do next when it fails`(): Unit = runBlocking {
        val h = holders("bad")
        h.enroll.serverUrl(server.url)
        h.enroll.code("NOT-A-CODE")
        h.enroll.label("Testtelefon")
        h.enroll.enroll().join()
        assertEquals(Msg("error_enroll_code"), h.enroll.state.value.problem)
        assertNull(h.enroll.state.value.session)
        h.enroll.serverUrl("http://127.0.0.1:${freePort()}")
        h.enroll.enroll().join()
        assertEquals(Msg("error_network"), h.enroll.state.value.problem)
        assertEquals(false, h.enroll.state.value.busy)
    }
}
