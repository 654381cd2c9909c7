package se.nyckelfri.app

import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.semantics.SemanticsProperties
import androidx.compose.ui.test.ComposeUiTest
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SemanticsMatcher
import androidx.compose.ui.test.SemanticsNodeInteractionsProvider
import androidx.compose.ui.test.assert
import androidx.compose.ui.test.assertHasClickAction
import androidx.compose.ui.test.assertIsEnabled
import androidx.compose.ui.test.hasClickAction
import androidx.compose.ui.test.isHeading
import androidx.compose.ui.test.onNodeWithContentDescription
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.runComposeUiTest
import androidx.compose.ui.unit.Density
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import se.nyckelfri.app.state.AppHolders
import se.nyckelfri.app.state.DoorPhase
import se.nyckelfri.app.state.KeyBadge
import se.nyckelfri.app.state.Route
import se.nyckelfri.app.ui.DoorScreen
import se.nyckelfri.app.ui.GuidanceScreen
import se.nyckelfri.app.ui.NyckelfriRoot
import se.nyckelfri.app.ui.OPEN_BUTTON_TAG
import se.nyckelfri.core.FailureKind
import se.nyckelfri.core.config

/**
 * The screens driven like a user would (semantics: clicks, texts, content
 * descriptions) over the real core and server, with the platform faked.
 */
@OptIn(ExperimentalTestApi::class)
class AppUiTest : WithPhones() {
    private val sv = XmlStrings("sv")

    private fun enrolledAndSynced(staff: String): AppHolders = runBlocking {
        val core = openCore("uit", server.lockSet())
        core.enroll(server.url, server.newCode(staff), "Testtelefon")
        // Made after enrolling, as on a restart: the holders find the enrollment in the phone's store.
        val h = holdersOf(core)
        h.visits.sync().join()
        h
    }

    /**
     * Waits in real time for a holder's state (the core works on its own
     * threads), then lets the UI catch up. Compose's waitUntil counts
     * virtual frame time and can spin for ever when the state never comes.
     */
    private fun ComposeUiTest.awaitState(condition: () -> Boolean) {
        val deadline = System.nanoTime() + 15_000_000_000L
        while (!condition()) {
            check(System.nanoTime() < deadline) { "timed out waiting for the state" }
            Thread.sleep(20)
            waitForIdle()
        }
        waitForIdle()
    }

    /** Every control that reacts to a tap is at least 48 × 48 dp (Material, WCAG 2.5.5). */
    private fun SemanticsNodeInteractionsProvider.assertTouchTargets(density: Density) {
        val min = with(density) { 48.dp.toPx() } - 0.5f
        val nodes = onAllNodes(hasClickAction()).fetchSemanticsNodes()
        assertTrue(nodes.isNotEmpty())
        for (n in nodes) {
            // The layout size, not the visible part: a card cut by the window's edge is still big enough.
            val w = maxOf(n.size.width.toFloat(), n.touchBoundsInRoot.width)
            val h = maxOf(n.size.height.toFloat(), n.touchBoundsInRoot.height)
            assertTrue(w >= min && h >= min, "touch target $w×$h px < 48 dp: ${n.config}")
        }
    }

    @Test
    fun `the Open button is large and asks for confirmation before the core acts`() = runComposeUiTest {
        val h = enrolledAndSynced("st-tumba-cw1")
        val visit = h.visits.state.value.visits.first { it.key is KeyBadge.Ready }
        h.door.show(visit)
        val eventsBefore = h.core.recentEvents(100u).size
        var eventsAtConfirm = -1
        val platform = FakePlatform(onConfirm = { eventsAtConfirm = h.core.recentEvents(100u).size })
        setContent {
            Frame(sv) {
                val s by h.door.state.collectAsState()
                DoorScreen(
                    s, PaddingValues(), platform.bluetoothReady(),
                    onOpen = { h.door.open { platform.confirmUser("t", "s") } }, onAllowBluetooth = {}, onGuidance = {}, onDone = {},
                )
            }
        }
        val open = onNodeWithTag(OPEN_BUTTON_TAG)
        open.assertHasClickAction().assertIsEnabled()
        val b = open.fetchSemanticsNode().touchBoundsInRoot
        assertTrue(b.height >= with(density) { 96.dp.toPx() }, "the Open button is ${b.height} px high")
        assertTouchTargets(density)

        open.performClick()
        awaitState { h.door.state.value.phase is DoorPhase.Opened }
        assertEquals(1, platform.confirmTitles.size)
        assertEquals(eventsBefore, eventsAtConfirm, "the core had recorded nothing when the prompt showed")
        assertTrue(h.core.recentEvents(100u).size > eventsBefore)
        waitForIdle()
        onNodeWithText(sv["door_opened"]).assertExists()
    }

    @Test
    fun `the whole app for a care worker, from the visit list through a cancelled prompt to an open door`() = runComposeUiTest {
        val h = enrolledAndSynced("st-tumba-cw2")
        val visit = h.visits.state.value.visits.first { it.key is KeyBadge.Ready }
        val platform = FakePlatform(confirmAnswer = false)
        setContent { Frame(sv) { NyckelfriRoot(h, platform) } }
        // The enrolled phone skips enrollment and lands on today's visits.
        awaitState { onAllNodes(SemanticsMatcher.expectValue(SemanticsProperties.Text, listOf(androidx.compose.ui.text.AnnotatedString(sv["visits_title"])))).fetchSemanticsNodes().isNotEmpty() }
        onNode(isHeading()).assertExists()
        assertTouchTargets(density)

        onNodeWithText(visit.brukareName).performClick()
        waitForIdle()
        onNodeWithContentDescription(sv["nav_back"]).assertExists()
        assertTouchTargets(density)

        // A cancelled prompt: nothing reaches the core.
        val events = h.core.recentEvents(100u)
        onNodeWithTag(OPEN_BUTTON_TAG).performClick()
        awaitState { h.door.state.value.phase == DoorPhase.NotConfirmed }
        assertEquals(events, h.core.recentEvents(100u))
        waitForIdle()
        onNodeWithText(sv["door_not_confirmed"]).assertExists()

        // Confirmed: the door opens.
        platform.confirmAnswer = true
        onNodeWithTag(OPEN_BUTTON_TAG).performClick()
        awaitState { h.door.state.value.phase is DoorPhase.Opened }
        assertEquals(2, platform.confirmTitles.size)
        assertTrue(platform.confirmTitles.last().contains(visit.brukareName), platform.confirmTitles.last())

        // Back to the list, which now counts the unlock waiting to be sent.
        onNodeWithText(sv["door_done"]).performClick()
        awaitState { h.visits.state.value.pendingEvents >= 1 }
    }

    @Test
    fun `without Bluetooth the door explains and asks for it instead of trying`() = runComposeUiTest {
        val h = enrolledAndSynced("st-tumba-cw3")
        h.door.show(h.visits.state.value.visits.first())
        val platform = FakePlatform(bluetooth = false)
        setContent {
            Frame(sv) {
                val s by h.door.state.collectAsState()
                DoorScreen(s, PaddingValues(), platform.bluetoothReady(), onOpen = {}, onAllowBluetooth = platform::requestBluetooth, onGuidance = {}, onDone = {})
            }
        }
        onNodeWithText(sv["door_bluetooth_off"]).assertExists()
        onNodeWithTag(OPEN_BUTTON_TAG).assert(SemanticsMatcher.keyIsDefined(SemanticsProperties.Disabled))
        onNodeWithText(sv["door_bluetooth_allow"]).performClick()
        assertEquals(1, platform.bluetoothRequests)
    }

    @Test
    fun `the live app renders today's visits from the server`() {
        val h = enrolledAndSynced("st-tumba-cw4")
        val names = h.visits.state.value.visits.map { it.brukareName }
        assertTrue(names.isNotEmpty())
        assertEquals(listOf(Route.VISITS), h.nav.stack.value, "a care worker's phone starts on today's visits")
        val r = render("live-visits-sv", "sv") { NyckelfriRoot(h, FakePlatform()) }
        assertTrue(r.nonBackground > 0.05 && r.distinctColors > 20, "blank render of the live app")
    }

    @Test
    fun `after a jammed lock the guidance's call button dials the coordinator and the checklist ticks r2_6`() = runComposeUiTest {
        val h = enrolledAndSynced("st-tumba-cw1")
        val visit = h.visits.state.value.visits.first { it.key is KeyBadge.Ready }
        runBlocking { h.guidance.forFailure(FailureKind.Jammed, visit).join() }
        val phone = h.core.unitSettings("tumba").coordinatorPhone
        val platform = FakePlatform()
        setContent {
            Frame(sv) {
                val s by h.guidance.state.collectAsState()
                GuidanceScreen(s, PaddingValues(), onCall = platform::dial, onDone = { h.guidance.markDone(it) }, onReport = {})
            }
        }
        onNodeWithText(sv.format("guidance_call", phone)).performClick()
        assertEquals(listOf(phone), platform.dialed)
        onNodeWithText(h.guidance.state.value.steps.first().title).performClick()
        awaitState { h.guidance.state.value.doneIds == listOf("R2.6") }
        onNode(SemanticsMatcher.expectValue(SemanticsProperties.ToggleableState, androidx.compose.ui.state.ToggleableState.On)).assertExists()
        assertTouchTargets(density)
    }
}
