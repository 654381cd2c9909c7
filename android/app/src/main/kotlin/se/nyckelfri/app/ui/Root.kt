package se.nyckelfri.app.ui

import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.List
import androidx.compose.material.icons.filled.Build
import androidx.compose.material.icons.filled.Email
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Warning
import androidx.compose.material3.Icon
import androidx.compose.material3.NavigationBar
import androidx.compose.material3.NavigationBarItem
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.graphics.vector.ImageVector
import se.nyckelfri.app.state.AppHolders
import se.nyckelfri.app.state.Navigator
import se.nyckelfri.app.state.Role
import se.nyckelfri.app.state.Route
import se.nyckelfri.app.state.Session
import se.nyckelfri.app.state.TechStage
import se.nyckelfri.app.state.sections
import se.nyckelfri.core.FailureKind

/** The whole app: navigation between screens. */
@Composable
fun NyckelfriRoot(holders: AppHolders, platform: Platform) {
    val enroll by holders.enroll.state.collectAsState()
    val stack by holders.nav.stack.collectAsState()
    val nav = holders.nav
    val session = enroll.session
    // Only on enrolling or unenrolling: a recreated activity keeps its place in the app.
    LaunchedEffect(session) {
        when {
            session == null -> nav.home(Route.ENROLL)
            stack.first() == Route.ENROLL -> nav.home(sections(session.role).first())
        }
    }
    val top = stack.last()
    NyckelfriTheme {
        if (session == null || top == Route.ENROLL) {
            AppFrame(str("enroll_title")) { p ->
                EnrollScreen(enroll, p, holders.enroll::serverUrl, holders.enroll::code, holders.enroll::label) { holders.enroll.enroll() }
            }
        } else {
            Screen(top, stack.size > 1, session, holders, platform, nav)
        }
    }
}

@Composable
private fun Screen(top: Route, canGoBack: Boolean, session: Session, holders: AppHolders, platform: Platform, nav: Navigator) {
    val back: (() -> Unit)? = if (canGoBack) ({ holders.back() }) else null
    val bottom: @Composable () -> Unit = { if (!canGoBack) BottomBar(top, session.role, nav) }
    when (top) {
        Route.VISITS -> {
            val s by holders.visits.state.collectAsState()
            LaunchedEffect(Unit) { holders.visits.refresh() }
            AppFrame(str("visits_title"), back, bottomBar = bottom) { p ->
                VisitsScreen(
                    s, p, onSync = { holders.visits.sync() },
                    onVisit = { holders.door.show(it); nav.push(Route.DOOR) },
                    onReportBroken = {
                        holders.guidance.forFailure(FailureKind.ManualReport, null)
                        nav.push(Route.GUIDANCE)
                    },
                )
            }
        }
        Route.DOOR -> {
            val s by holders.door.state.collectAsState()
            val title = str("door_confirm_title")
            val subtitle = s.visit?.let { str("door_confirm_subtitle", it.brukareName) } ?: ""
            AppFrame(str("door_title"), back) { p ->
                DoorScreen(
                    s, p, bluetoothReady = platform.bluetoothReady(),
                    onOpen = { holders.door.open { platform.confirmUser(title, subtitle) } },
                    onAllowBluetooth = platform::requestBluetooth,
                    onGuidance = {
                        holders.door.lastOutcome?.let { holders.guidance.forOutcome(it, s.visit) }
                        nav.push(Route.GUIDANCE)
                    },
                    onDone = { holders.visits.refresh(); nav.back() },
                    onReportBroken = {
                        holders.guidance.forFailure(FailureKind.ManualReport, s.visit)
                        nav.push(Route.GUIDANCE)
                    },
                )
            }
        }
        Route.GUIDANCE -> {
            val s by holders.guidance.state.collectAsState()
            AppFrame(str("guidance_title"), back) { p ->
                GuidanceScreen(
                    s, p, onCall = platform::dial, onDone = { holders.guidance.markDone(it) },
                    onReport = { holders.report.start(holders.guidance.state.value); nav.push(Route.REPORT) },
                )
            }
        }
        Route.REPORT -> {
            val s by holders.report.state.collectAsState()
            LaunchedEffect(Unit) { holders.report.load() }
            AppFrame(str("report_title"), back) { p ->
                ReportScreen(s, p, onCause = holders.report::cause, onSend = {
                    holders.report.send { id -> holders.guidance.reported(id) }
                })
            }
        }
        Route.MESSAGES -> {
            val s by holders.messages.state.collectAsState()
            LaunchedEffect(Unit) { holders.messages.load() }
            AppFrame(str("messages_title"), back, bottomBar = bottom) { p ->
                MessagesScreen(s, p, onOpen = { holders.messages.open(it); nav.push(Route.MESSAGE) }, onReload = { holders.messages.load() })
            }
        }
        Route.MESSAGE -> {
            val s by holders.messages.state.collectAsState()
            AppFrame(str("message_title"), back) { p ->
                s.open?.let { MessageScreen(it, p) }
            }
        }
        Route.ORDERS -> {
            val s by holders.technician.state.collectAsState()
            LaunchedEffect(Unit) { holders.technician.load() }
            val t = holders.technician
            val stageBack: (() -> Unit)? = if (s.stage != TechStage.ORDERS) ({ holders.back() }) else back
            AppFrame(str("tech_title"), stageBack, bottomBar = { if (s.stage == TechStage.ORDERS) bottom() }) { p ->
                TechnicianScreen(
                    s, p,
                    TechnicianActions(
                        onReload = { t.load() }, onSelect = t::select, onLockId = t::lockId, onKeyHex = t::keyHex,
                        onCommission = { t.commission() }, onDemonstrate = { t.demonstrate() }, onToSignature = t::toSignature,
                        onStroke = t::addStroke, onClearSignature = t::clearSignature, onWitness = t::witness,
                        onWitnessReason = t::witnessReason, onContactParty = t::contactParty,
                        onSign = { t.signAndFinish() }, onRemove = { t.removeLock() }, onCall = platform::dial,
                        onBackToOrders = { t.back(); t.load() },
                    ),
                )
            }
        }
        Route.OUTAGES -> {
            val s by holders.coordinator.state.collectAsState()
            LaunchedEffect(Unit) { holders.coordinator.load() }
            val c = holders.coordinator
            AppFrame(str("outages_title"), back, bottomBar = bottom) { p ->
                CoordinatorScreen(
                    s, p, onAlarmGroup = { c.informAlarmGroup(it) }, onNightPatrol = { c.informNightPatrol(it) },
                    onWorking = { c.markWorking(it) }, onReload = { c.load() },
                )
            }
        }
        Route.ENROLL -> {}
    }
}

@Composable
private fun BottomBar(current: Route, role: Role, nav: Navigator) {
    NavigationBar {
        for (r in sections(role)) {
            val (label, icon) = sectionLabel(r)
            NavigationBarItem(
                selected = r == current,
                onClick = { nav.home(r) },
                icon = { Icon(icon, contentDescription = null) },
                label = { Text(label) },
            )
        }
    }
}

@Composable
private fun sectionLabel(r: Route): Pair<String, ImageVector> = when (r) {
    Route.VISITS -> str("nav_visits") to Icons.Filled.Home
    Route.MESSAGES -> str("nav_messages") to Icons.Filled.Email
    Route.ORDERS -> str("nav_orders") to Icons.Filled.Build
    Route.OUTAGES -> str("nav_outages") to Icons.Filled.Warning
    else -> str("nav_visits") to Icons.AutoMirrored.Filled.List
}
