package se.nyckelfri.app.state

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import se.nyckelfri.core.KeyStatus
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.NyckelfriException
import se.nyckelfri.core.VisitView

/** The key a visit's door will take, as the list shows it. */
sealed interface KeyBadge {
    data class Ready(val until: String) : KeyBadge
    data class NotYetValid(val from: String) : KeyBadge
    data class Expired(val at: String) : KeyBadge
    /** R2.7: the care decision has ended; no key will come. */
    data class DecisionEnded(val at: String?) : KeyBadge
    data class NoKey(val reason: Msg) : KeyBadge
}

data class VisitRow(
    val visitId: String,
    val lockId: String,
    val brukareName: String,
    val address: String,
    val time: String,
    val key: KeyBadge,
)

data class VisitsState(
    val visits: List<VisitRow> = emptyList(),
    /** "Keys valid until 22:00", shown while offline; null when no key is valid. */
    val keysValidUntil: String? = null,
    val lastSync: String? = null,
    val pendingEvents: Int = 0,
    val offline: Boolean = false,
    val syncing: Boolean = false,
    val problem: Msg? = null,
)

/** Today's visits with their keys, and syncing with the server. */
class VisitsHolder(
    private val core: NyckelfriApp,
    private val times: Times,
    private val scope: CoroutineScope,
    private val io: CoroutineDispatcher,
    initial: VisitsState = VisitsState(),
) {
    private val _state = MutableStateFlow(initial)
    val state: StateFlow<VisitsState> = _state

    /** Re-reads the phone's store (no network): after opening a door, on resume. */
    fun refresh(): Job = scope.launch { reload() }

    /** Sends the outbox and fetches the day; offline keeps the stored day. */
    fun sync(): Job = scope.launch {
        _state.update { it.copy(syncing = true, problem = null) }
        try {
            val report = core.sync()
            _state.update { it.copy(syncing = false, offline = false, lastSync = times.hm(report.serverTime)) }
        } catch (e: NyckelfriException.Network) {
            _state.update { it.copy(syncing = false, offline = true) }
        } catch (e: Exception) {
            _state.update { it.copy(syncing = false, problem = problemOf(e)) }
        }
        reload()
    }

    private suspend fun reload() {
        try {
            val read = withContext(io) {
                Read(core.todayVisits(), core.keysValidUntil(), core.pendingEvents().toInt())
            }
            _state.update { s ->
                s.copy(
                    visits = read.visits.map { it.toRow() },
                    keysValidUntil = read.validUntil?.let(times::hm),
                    pendingEvents = read.pending,
                )
            }
        } catch (e: Exception) {
            _state.update { it.copy(problem = problemOf(e)) }
        }
    }

    private class Read(val visits: List<VisitView>, val validUntil: Long?, val pending: Int)

    private fun VisitView.toRow() = VisitRow(
        visitId = visitId,
        lockId = lockId,
        brukareName = brukareName,
        address = address,
        time = "${times.hm(startsAt)}–${times.hm(endsAt)}",
        key = badge(keyStatus, times),
    )
}

fun badge(k: KeyStatus, times: Times): KeyBadge = when (k) {
    is KeyStatus.Ready -> KeyBadge.Ready(times.hm(k.validUntil))
    is KeyStatus.NotYetValid -> KeyBadge.NotYetValid(times.hm(k.validFrom))
    is KeyStatus.Expired -> KeyBadge.Expired(times.hm(k.expiredAt))
    is KeyStatus.DecisionEnded -> KeyBadge.DecisionEnded(k.endedAt?.let(times::dayHm))
    is KeyStatus.NoKey -> KeyBadge.NoKey(noKeyReason(k.reason))
}

/** The server's no-key reasons, in words. */
fun noKeyReason(reason: String?): Msg = when (reason) {
    "not_scheduled" -> Msg("no_key_not_scheduled")
    "lock_removed" -> Msg("no_key_lock_removed")
    "device_revoked" -> Msg("no_key_device_revoked")
    "decision_ended" -> Msg("no_key_decision_ended")
    else -> Msg("no_key_unknown")
}
