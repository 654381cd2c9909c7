package se.nyckelfri.core

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The outage routine's phones through Kotlin: a worker reports a jammed lock,
 * the coordinator's phone lists the case and works it (R2.10, R2.11, R2.12),
 * the night patrol reads it in their inbox.
 */
class CoordinatorTest : WithDemoServer() {
    private fun phone(name: String, locks: SimulatedLockSet) =
        NyckelfriApp.openWithSimulatedLocks(config(tempDir(name).resolve("app.db")), JcaSigner(), locks)

    @Test
    fun `the coordinator informs the alarm group and the night patrol, then closes the case r2_10_r2_11_r2_12`(): Unit = runBlocking {
        val locks = server.lockSet()
        val lockId = phone("nf-w", locks).use { worker ->
            worker.enroll(server.url, server.code("st-tumba-cw3"), "Saras telefon")
            worker.sync()
            val visit = worker.todayVisits().first { it.keyStatus is KeyStatus.Ready }
            locks.setJammed(visit.lockId, true)
            val outcome = worker.openDoor(visit.visitId, RecordingListener())
            assertTrue(outcome is UnlockOutcome.Jammed, "$outcome")
            worker.reportFailedLock(FailedLockReport(null, visit.visitId, FailureKind.Jammed, listOf("R2.6")))
            worker.sync()
            assertEquals(0u, worker.pendingEvents())
            visit.lockId
        }

        phone("nf-k", locks).use { coordinator ->
            coordinator.enroll(server.url, server.code("st-tumba-koord"), "Marias telefon")
            val case = coordinator.openOutages().first { it.lockId == lockId }
            assertEquals("open", case.status)
            assertTrue(case.decisionStatus.isNotEmpty()) // R2.7
            assertEquals(1u, case.reportCount)
            assertTrue(case.nightPatrolDeadlineAt >= case.openedAt) // R2.12

            assertNotNull(coordinator.informAlarmGroup(case.id, "Kärvar").alarmGroupInformedAt) // R2.11
            assertNotNull(coordinator.informNightPatrol(case.id, null).nightPatrolMessagedAt) // R2.12

            phone("nf-n", locks).use { night ->
                night.enroll(server.url, server.code("st-natt-1"), "Nattpatrullen")
                // Out of office hours the worker's report also told them (R2.13): pick the coordinator's.
                val forCase = night.inbox().filter { it.outageId == case.id }
                val msg = forCase.firstOrNull { it.routineStep == "R2.12" }
                    ?: error("no R2.12 message for the case: $forCase")
                assertFalse(msg.read)
                assertTrue(night.markMessageRead(msg.id).read)
                assertThrows<NyckelfriException.InvalidInput> { runBlocking { night.markMessageRead("../x") } }
                assertThrows<NyckelfriException.Server> { runBlocking { night.openOutages() } }
            }

            val closed = coordinator.markLockWorking(case.id, "Batteriet bytt") // R2.10
            assertEquals("closed", closed.status)
            assertTrue(coordinator.openOutages().none { it.id == case.id })
        }
        locks.setJammed(lockId, false)
    }
}
