package se.nyckelfri.app

import androidx.compose.runtime.Composable
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import se.nyckelfri.app.state.MessageRow
import se.nyckelfri.app.ui.AppFrame
import se.nyckelfri.app.ui.CoordinatorScreen
import se.nyckelfri.app.ui.DoorScreen
import se.nyckelfri.app.ui.EnrollScreen
import se.nyckelfri.app.ui.GuidanceScreen
import se.nyckelfri.app.ui.MessageScreen
import se.nyckelfri.app.ui.MessagesScreen
import se.nyckelfri.app.ui.ReportScreen
import se.nyckelfri.app.ui.TechnicianActions
import se.nyckelfri.app.ui.TechnicianScreen
import se.nyckelfri.app.ui.VisitsScreen
import se.nyckelfri.app.ui.str

/**
 * Every screen in its main states, rendered to target/screens/<screen>-<state>-<lang>.png.
 * A screen renders only if every text it shows exists in that language
 * (XmlStrings throws on a missing key); the image must show content, not
 * just the background.
 */
class ScreensTest {
    private fun check(r: Rendered) {
        assertEquals((WIDTH_DP * DENSITY).toInt(), r.width)
        assertTrue(r.file.length() > 5_000, "${r.file.name}: ${r.file.length()} bytes")
        assertTrue(r.distinctColors > 20, "${r.file.name}: only ${r.distinctColors} colours")
        assertTrue(r.nonBackground > 0.05, "${r.file.name}: ${r.nonBackground} of the pixels differ from the background")
    }

    private fun shot(name: String, lang: String = "sv", fontScale: Float = 1f, heightDp: Int = HEIGHT_DP, content: @Composable () -> Unit) =
        check(render("$name-$lang", lang, fontScale, heightDp, content = content))

    @Test
    fun enroll() {
        for ((state, s) in listOf("empty" to Samples.enrollEmpty, "error" to Samples.enrollError, "busy" to Samples.enrollBusy)) {
            shot("enroll-$state") { AppFrame(str("enroll_title")) { p -> EnrollScreen(s, p, {}, {}, {}, {}) } }
        }
        shot("enroll-error", "en") { AppFrame(str("enroll_title")) { p -> EnrollScreen(Samples.enrollError, p, {}, {}, {}, {}) } }
    }

    @Test
    fun visits() {
        for ((state, s) in listOf("online" to Samples.visitsOnline, "offline" to Samples.visitsOffline, "nokeys" to Samples.visitsNoKeys)) {
            shot("visits-$state", heightDp = 1100) { AppFrame(str("visits_title")) { p -> VisitsScreen(s, p, {}, {}, {}) } }
        }
        shot("visits-offline", "en") { AppFrame(str("visits_title")) { p -> VisitsScreen(Samples.visitsOffline, p, {}, {}, {}) } }
    }

    @Test
    fun visits_at_the_largest_font_size() {
        shot("visits-online-font2", fontScale = 2f, heightDp = 1600) {
            AppFrame(str("visits_title")) { p -> VisitsScreen(Samples.visitsOnline, p, {}, {}, {}) }
        }
        shot("door-failed-font2", fontScale = 2f, heightDp = 1600) {
            AppFrame(str("door_title"), onBack = {}) { p -> DoorScreen(Samples.doorFailed, p, true, {}, {}, {}, {}) }
        }
    }

    @Test
    fun door() {
        val states = listOf(
            "idle" to Samples.doorIdle, "working" to Samples.doorWorking, "opened" to Samples.doorOpened,
            "battery" to Samples.doorOpenedBattery, "failed" to Samples.doorFailed, "notconfirmed" to Samples.doorNotConfirmed,
        )
        for ((state, s) in states) {
            shot("door-$state") { AppFrame(str("door_title"), onBack = {}) { p -> DoorScreen(s, p, true, {}, {}, {}, {}) } }
        }
        shot("door-bluetoothoff") { AppFrame(str("door_title"), onBack = {}) { p -> DoorScreen(Samples.doorIdle, p, false, {}, {}, {}, {}) } }
        shot("door-failed", "en") { AppFrame(str("door_title"), onBack = {}) { p -> DoorScreen(Samples.doorFailed, p, true, {}, {}, {}, {}) } }
    }

    @Test
    fun guidance() {
        shot("guidance-jammed", heightDp = 1300) { AppFrame(str("guidance_title"), onBack = {}) { p -> GuidanceScreen(Samples.guidance, p, {}, {}, {}) } }
        shot("guidance-reported", heightDp = 1300) {
            AppFrame(str("guidance_title"), onBack = {}) { p -> GuidanceScreen(Samples.guidance.copy(reportId = "r1"), p, {}, {}, {}) }
        }
    }

    @Test
    fun report() {
        for ((state, s) in listOf("form" to Samples.reportForm, "manual" to Samples.reportManual, "sent" to Samples.reportSent)) {
            shot("report-$state", heightDp = 1100) { AppFrame(str("report_title"), onBack = {}) { p -> ReportScreen(s, p, {}, {}) } }
        }
        shot("report-sent", "en", heightDp = 1100) { AppFrame(str("report_title"), onBack = {}) { p -> ReportScreen(Samples.reportSent, p, {}, {}) } }
    }

    @Test
    fun messages() {
        shot("messages-list") { AppFrame(str("messages_title")) { p -> MessagesScreen(Samples.messages, p, {}, {}) } }
        shot("messages-open") { AppFrame(str("message_title"), onBack = {}) { p -> MessageScreen(Samples.messageOpen, p) } }
        shot("messages-list", "en") { AppFrame(str("messages_title")) { p -> MessagesScreen(Samples.messages, p, {}, {}) } }
    }

    @Test
    fun technician() {
        val states = listOf(
            "orders" to Samples.techOrders, "commission" to Samples.techCommission, "demonstration" to Samples.techDemo,
            "signature" to Samples.techSignature, "done" to Samples.techDone,
        )
        for ((state, s) in states) {
            shot("technician-$state", heightDp = 1000) { AppFrame(str("tech_title"), onBack = {}) { p -> TechnicianScreen(s, p, TechnicianActions()) } }
        }
        shot("technician-commission", "en", heightDp = 1000) {
            AppFrame(str("tech_title"), onBack = {}) { p -> TechnicianScreen(Samples.techCommission, p, TechnicianActions()) }
        }
    }

    @Test
    fun coordinator() {
        shot("coordinator-outages", heightDp = 1500) {
            AppFrame(str("outages_title")) { p -> CoordinatorScreen(Samples.outages, p, {}, {}, {}, {}) }
        }
        shot("coordinator-outages", "en", heightDp = 1500) {
            AppFrame(str("outages_title")) { p -> CoordinatorScreen(Samples.outages, p, {}, {}, {}, {}) }
        }
    }

    @Test
    fun `a missing text fails the render instead of showing a key`() {
        val bad = MessageRow("x", "s", "b", se.nyckelfri.app.state.Msg("no_such_key"), null, "1/1 00:00", null, true)
        val e = runCatching { render("missing-key-sv", "sv") { MessageScreen(bad, androidx.compose.foundation.layout.PaddingValues()) } }.exceptionOrNull()
        assertTrue(generateSequence(e) { it.cause }.any { it is XmlStrings.MissingKey }, "got $e")
    }
}
