package se.nyckelfri.app.state

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update

/** The app's places. The home sections sit in the bottom bar; the rest are pushed on top. */
enum class Route { ENROLL, VISITS, MESSAGES, ORDERS, OUTAGES, DOOR, GUIDANCE, REPORT, MESSAGE }

/** The home sections a role sees, in bottom-bar order. */
fun sections(role: Role): List<Route> = when (role) {
    Role.CARE_WORKER, Role.OTHER -> listOf(Route.VISITS, Route.MESSAGES)
    Role.COORDINATOR -> listOf(Route.OUTAGES, Route.VISITS, Route.MESSAGES)
    Role.ALARM_TECHNICIAN -> listOf(Route.ORDERS, Route.MESSAGES)
}

/**
 * The back stack. It lives outside the composition so that the platform's
 * own back gesture (Android's OnBackPressedDispatcher) can pop it too:
 * [back] returns false when there is nothing left to pop. [start] is the
 * first screen: the role's home when the phone is already enrolled.
 */
class Navigator(start: Route = Route.ENROLL) {
    private val _stack = MutableStateFlow(listOf(start))
    val stack: StateFlow<List<Route>> = _stack

    val canGoBack: Boolean get() = _stack.value.size > 1
    fun push(r: Route) = _stack.update { it + r }
    fun home(r: Route) { _stack.value = listOf(r) }
    fun back(): Boolean {
        if (!canGoBack) return false
        _stack.update { it.dropLast(1) }
        return true
    }
}
