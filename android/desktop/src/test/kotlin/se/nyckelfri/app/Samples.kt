package se.nyckelfri.app

import se.nyckelfri.app.state.CoordinatorState
import se.nyckelfri.app.state.Decision
import se.nyckelfri.app.state.DemoRow
import se.nyckelfri.app.state.DoorPhase
import se.nyckelfri.app.state.DoorState
import se.nyckelfri.app.state.EnrollState
import se.nyckelfri.app.state.GuidanceRow
import se.nyckelfri.app.state.GuidanceState
import se.nyckelfri.app.state.KeyBadge
import se.nyckelfri.app.state.MessageRow
import se.nyckelfri.app.state.MessagesState
import se.nyckelfri.app.state.Msg
import se.nyckelfri.app.state.OrderRow
import se.nyckelfri.app.state.OutageRow
import se.nyckelfri.app.state.Pt
import se.nyckelfri.app.state.ReportRow
import se.nyckelfri.app.state.ReportState
import se.nyckelfri.app.state.TechStage
import se.nyckelfri.app.state.TechnicianState
import se.nyckelfri.app.state.VisitRow
import se.nyckelfri.app.state.VisitsState
import se.nyckelfri.core.FailureKind
import kotlin.math.PI
import kotlin.math.sin

/** UI states as the holders make them, for rendering each screen in its main states. */
object Samples {
    val visitReady = VisitRow("v1", "l-tumba-01", "Gunnel Åström", "Tumba torg 3, lgh 1102", "07:30–08:00", KeyBadge.Ready("22:00"))
    private val visitLater = VisitRow("v2", "l-tumba-02", "Örjan Ek", "Storvretsvägen 12", "09:15–09:45", KeyBadge.NotYetValid("09:00"))
    private val visitEnded = VisitRow("v3", "l-tumba-03", "Märta Lind", "Hågelbyvägen 4", "11:00–11:30", KeyBadge.DecisionEnded("26/11 23:59"))
    private val visitNoKey = VisitRow("v4", "l-tumba-04", "Åke Persson", "Tumba gränd 9", "13:00–13:20", KeyBadge.NoKey(Msg("no_key_lock_removed")))
    private val visitExpired = VisitRow("v5", "l-tumba-05", "Britt Ö. Sjöberg", "Vretens väg 1", "14:00–14:30", KeyBadge.Expired("14:00"))

    val enrollEmpty = EnrollState()
    val enrollError = EnrollState("https://nyckelfri.botkyrka.se", "K7Q-2MX", "Aminas telefon", problem = Msg("error_enroll_code"))
    val enrollBusy = EnrollState("https://nyckelfri.botkyrka.se", "K7Q-2MX", "Aminas telefon", busy = true)

    val visitsOnline = VisitsState(listOf(visitReady, visitLater, visitEnded, visitNoKey), keysValidUntil = "22:00", lastSync = "07:02", pendingEvents = 0)
    val visitsOffline = visitsOnline.copy(offline = true, pendingEvents = 3, visits = listOf(visitReady, visitLater, visitExpired))
    val visitsNoKeys = VisitsState(listOf(visitExpired, visitNoKey), keysValidUntil = null, lastSync = "06:10", offline = true, pendingEvents = 1)

    val doorIdle = DoorState(visitReady)
    val doorWorking = DoorState(visitReady, DoorPhase.Working(3, Msg("door_step_verifying")))
    val doorOpened = DoorState(visitReady, DoorPhase.Opened())
    val doorOpenedBattery = DoorState(visitReady, DoorPhase.Opened(12))
    val doorFailed = DoorState(visitReady, DoorPhase.Failed(Msg("door_failed_jammed"), guidance = true))
    val doorNotConfirmed = DoorState(visitReady, DoorPhase.NotConfirmed)

    val guidance = GuidanceState(
        steps = listOf(
            GuidanceRow("R2.6", "Ring koordinatorn", "Ring koordinatorn på +46 8 530 610 00 för hjälp med planeringen.", callNumber = "+46 8 530 610 00", done = true),
            GuidanceRow("R2.1", "Hämta reservnyckeln", "Reservnyckeln finns i nyckelskåpet på enheten, Tumba hemtjänst, plan 2."),
            GuidanceRow("R2.8", "Akut nyckelhantering", "Följ rutinen för akut nyckelhantering."),
            GuidanceRow("R2.9", "Dokumentera", "Dokumentera att låset är ur funktion.", documents = true),
            GuidanceRow("R2.15", "Avvikelse", "Rapportera avvikelsen i avvikelsesystemet."),
        ),
        visitId = "v1", lockId = "l-tumba-01", brukareName = "Gunnel Åström", failure = FailureKind.Jammed,
    )

    private val reports = listOf(
        ReportRow("r1", "l-tumba-01", Msg("cause_jammed"), "27/11 07:41", listOf("R2.6", "R2.9"), listOf("R2.1", "R2.8", "R2.15")),
        ReportRow("r0", "l-tumba-07", Msg("cause_not_found"), "25/11 19:05", listOf("R2.6", "R2.2", "R2.8", "R2.9", "R2.15"), emptyList()),
    )
    val reportForm = ReportState(lockId = "l-tumba-01", visitId = "v1", brukareName = "Gunnel Åström", failure = FailureKind.Jammed, stepsDone = listOf("R2.6"), reports = reports.drop(1))
    val reportManual = ReportState(stepsDone = emptyList(), reports = reports.drop(1))
    val reportSent = reportForm.copy(sentReportId = "r1", reports = reports)

    val messages = MessagesState(
        listOf(
            MessageRow("m2", "Lås ur funktion hos Gunnel Åström", "Låset på Tumba torg 3 kärvar sedan 07:41. Använd natt-/larmnyckeln från Orrens servicehus.", Msg("role_coordinator"), "R2.12", "27/11 08:12", "27/11 17:00", read = false),
            MessageRow("m1", "Nytt lås installerat", "Låset hos Örjan Ek, Storvretsvägen 12, installerades 26/11 14:20.", Msg("role_alarm_group"), "R1.10", "26/11 14:25", null, read = true),
        ),
    )
    val messageOpen = messages.messages.first()

    private val orders = listOf(
        OrderRow("o1", Msg("order_kind_new"), false, Msg("order_status_scheduled"), "b-tumba-21", "Sven Ågren", null, "Lena Ågren (dotter)", "+46 70 123 45 67", "Tumba torg 11", null, "28/11 10:00"),
        OrderRow("o2", Msg("order_kind_removal"), true, Msg("order_status_open"), "b-tumba-03", "Märta Lind", "l-tumba-03", null, null, "Hågelbyvägen 4", "30/11 23:59", null),
    )
    val techOrders = TechnicianState(orders)
    val techCommission = TechnicianState(orders, stage = TechStage.COMMISSION, order = orders[0], lockId = "l-tumba-21", keyHex = "04a1b2c3d4e5f6", presenceRequired = true)
    val techDemo = techCommission.copy(
        stage = TechStage.DEMONSTRATION, presenceRequired = false,
        demonstration = listOf(
            DemoRow("Öppna", "Låset öppnades med en visningsnyckel.", true),
            DemoRow("Låsa", "Låset låstes igen.", true),
            DemoRow("Om telefonen inte fungerar", "Personalen har reservnyckel enligt rutinen för driftstopp.", null),
        ),
    )
    val techSignature = techDemo.copy(stage = TechStage.SIGNATURE, strokes = signature())
    val techDone = techSignature.copy(stage = TechStage.DONE, receiptId = "rc-5f2a", result = Msg("tech_installed"))

    private fun signature(): List<List<Pt>> = listOf(
        (0..40).map { i -> Pt(0.08f + i * 0.02f, 0.55f - 0.25f * sin(i / 40.0 * 3 * PI).toFloat()) },
        (0..10).map { i -> Pt(0.1f + i * 0.08f, 0.8f) },
    )

    private fun outage(id: String, name: String, overdue: Boolean, decision: Decision, toldAt: String?) = OutageRow(
        id = id, brukareName = name, lockId = "l-tumba-0$id", cause = Msg("cause_jammed"), openedAt = "27/11 07:41",
        weekendOrHoliday = false, night = false, decision = decision,
        decisionEndsAt = if (decision == Decision.ENDED) "26/11 23:59" else null,
        contactNeedsAssessor = decision == Decision.ENDED, alarmGroupInformedAt = toldAt,
        nightPatrolDeadline = "17:00", nightPatrolMessagedAt = null, nightPatrolOverdue = overdue, reportCount = 2,
    )
    val outages = CoordinatorState(
        listOf(
            outage("1", "Gunnel Åström", overdue = true, Decision.VALID, null),
            outage("3", "Märta Lind", overdue = false, Decision.ENDED, "09:10"),
        ),
    )
}
