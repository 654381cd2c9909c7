package se.nyckelfri.app

import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.assertCountEquals
import androidx.compose.ui.test.onAllNodesWithText
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.runComposeUiTest
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import se.nyckelfri.app.state.AppHolders
import se.nyckelfri.app.state.Msg
import se.nyckelfri.app.state.Role
import se.nyckelfri.app.state.Route
import se.nyckelfri.app.state.Times
import se.nyckelfri.app.ui.CoordinatorScreen
import se.nyckelfri.app.ui.NyckelfriRoot
import se.nyckelfri.core.DemoServer
import se.nyckelfri.core.JcaSigner
import se.nyckelfri.core.Language
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.SimulatedLockSet
import se.nyckelfri.core.config
import se.nyckelfri.core.tempDir

/**
 * The app after a restart: the phone's own store says who it is enrolled
 * for, so the role's screens come back at once, also with no server.
 */
@OptIn(ExperimentalTestApi::class)
class RestartTest {
    private val sv = XmlStrings("sv")

    @Test
    fun `a coordinator's phone comes back on the outages tab after a restart, offline`() {
        val db = tempDir("nf-restart").resolve("app.db")
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        try {
            val enrolled = DemoServer().use { server ->
                val core = NyckelfriApp.openWithSimulatedLocks(config(db), JcaSigner(), SimulatedLockSet())
                try {
                    val h = AppHolders(core, Language.SWEDISH, scope, Times())
                    assertNull(h.enroll.state.value.session, "a new phone is nobody's")
                    assertEquals(listOf(Route.ENROLL), h.nav.stack.value)
                    h.enroll.serverUrl(server.url)
                    h.enroll.code(server.newCode("st-tumba-koord"))
                    h.enroll.label("Koordinatorns telefon")
                    runBlocking { h.enroll.enroll().join() }
                    assertNull(h.enroll.state.value.problem, "${h.enroll.state.value.problem}")
                    h.enroll.state.value.session
                } finally {
                    core.close()
                }
            }
            // The server is gone: the restarted app must know the phone from its own store.
            assertNotNull(enrolled)
            assertEquals(Role.COORDINATOR, enrolled!!.role)
            val core = NyckelfriApp.openWithSimulatedLocks(config(db), JcaSigner(), SimulatedLockSet())
            try {
                val h = AppHolders(core, Language.SWEDISH, scope, Times())
                assertEquals(enrolled, h.enroll.state.value.session, "name, role and unit as enrolled")
                assertEquals("tumba", h.enroll.state.value.session?.unitId)
                assertEquals(listOf(Route.OUTAGES), h.nav.stack.value)
                // Offline, the outages screen says so instead of showing an empty list.
                val shot = render("restart-outages-offline-sv", "sv", until = { h.coordinator.state.value.problem != null }) {
                    NyckelfriRoot(h, FakePlatform())
                }
                val offline = h.coordinator.state.value
                assertEquals(Msg("error_network"), offline.problem)
                // Offline, nothing says "no open outages": the phone does not know.
                runComposeUiTest {
                    setContent { Frame(sv) { CoordinatorScreen(offline, PaddingValues(), {}, {}, {}, {}) } }
                    onNodeWithText(sv["error_network"]).assertExists()
                    onAllNodesWithText(sv["outages_none"]).assertCountEquals(0)
                }
                runComposeUiTest {
                    setContent { Frame(sv) { NyckelfriRoot(h, FakePlatform()) } }
                    waitForIdle()
                    onNodeWithText(sv["outages_title"]).assertExists()
                    // The coordinator's bottom bar: outages, visits, messages.
                    for (tab in listOf("nav_outages", "nav_visits", "nav_messages")) {
                        onAllNodesWithText(sv[tab]).assertCountEquals(1)
                    }
                    onAllNodesWithText(sv["enroll_title"]).assertCountEquals(0)
                }
                assertTrue(shot.nonBackground > 0.05, "blank render")
            } finally {
                core.close()
            }
        } finally {
            scope.cancel()
        }
    }
}
