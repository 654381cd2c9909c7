package se.nyckelfri.app.state

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import se.nyckelfri.core.Language
import se.nyckelfri.core.NyckelfriApp

/**
 * One state holder per screen, over one core. The platform makes one for
 * the app's lifetime; the screens only read their holder's state and call
 * its actions. [io] runs the core's blocking (non-suspending) calls.
 */
class AppHolders(
    val core: NyckelfriApp,
    val language: Language,
    val scope: CoroutineScope,
    val times: Times = Times(),
    io: CoroutineDispatcher = Dispatchers.IO,
) {
    val enroll = EnrollHolder(core, scope)
    // An enrolled phone starts on its role's home, also after a restart and offline.
    val nav = Navigator(enroll.state.value.session?.let { sections(it.role).first() } ?: Route.ENROLL)
    val visits = VisitsHolder(core, times, scope, io)
    val door = DoorHolder(core, times, scope)
    val guidance = GuidanceHolder(core, language, scope, io)
    val report = ReportHolder(core, times, scope, io)
    val messages = MessagesHolder(core, times, scope)
    val technician = TechnicianHolder(core, language, times, scope, io)
    val coordinator = CoordinatorHolder(core, times, scope)

    /**
     * Back, for the top bar's arrow and the platform's back gesture: a step
     * inside the screen first, then the back stack. False at the start,
     * where the platform leaves the app.
     */
    fun back(): Boolean = when (nav.stack.value.last()) {
        Route.ORDERS -> technician.back() || nav.back()
        Route.MESSAGE -> {
            messages.close()
            nav.back()
        }
        else -> nav.back()
    }
}
