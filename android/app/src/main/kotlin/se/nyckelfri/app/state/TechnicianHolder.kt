package se.nyckelfri.app.state

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import se.nyckelfri.core.BrukareConsent
import se.nyckelfri.core.InstallationOrder
import se.nyckelfri.core.Language
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.SignatureStroke
import se.nyckelfri.core.StrokePoint
import se.nyckelfri.core.UnlockListener
import se.nyckelfri.core.UnlockOutcome
import se.nyckelfri.core.UnlockStep

data class OrderRow(
    val id: String,
    val kind: Msg,
    val removal: Boolean,
    val status: Msg,
    val brukareId: String,
    val brukareName: String,
    val lockId: String?,
    /** R1.8: who to call to book, and where. */
    val contact: String?,
    val contactPhone: String?,
    val address: String?,
    val due: String?,
    val scheduled: String?,
    /** R1.12: whom the alarm group has contacted about a removal. */
    val contacted: List<String> = emptyList(),
)

/** A point of the signature, 0..1 across and down the signature box. */
data class Pt(val x: Float, val y: Float)

/** [opened]: whether the lock opened in this step; null for steps that only explain. */
data class DemoRow(val title: String, val text: String, val opened: Boolean?)

enum class TechStage { ORDERS, COMMISSION, DEMONSTRATION, SIGNATURE, DONE }

data class TechnicianState(
    val orders: List<OrderRow> = emptyList(),
    val loading: Boolean = false,
    val stage: TechStage = TechStage.ORDERS,
    val order: OrderRow? = null,
    val lockId: String = "",
    val keyHex: String = "",
    /** The lock asked for the setup button inside the door to be pressed. */
    val presenceRequired: Boolean = false,
    val demonstration: List<DemoRow> = emptyList(),
    val strokes: List<List<Pt>> = emptyList(),
    /** R1.9: when the brukare cannot sign, the second person (not the technician) who confirms it. */
    val witness: String = "",
    /** R1.9: and why the brukare could not sign. */
    val witnessReason: String = "",
    /** R1.12: whom the technician contacted before removing (e.g. "brukaren"). */
    val contactParty: String = "",
    val receiptId: String? = null,
    val result: Msg? = null,
    val busy: Boolean = false,
    val problem: Msg? = null,
) {
    val canCommission: Boolean get() = !busy && lockId.isNotBlank() && keyHex.isNotBlank()
    val canSign: Boolean get() = !busy && (strokes.any { it.size > 1 } || (witness.isNotBlank() && witnessReason.isNotBlank()))
    /** R1.12: a removal after the parties were contacted (recorded now, or before). */
    val canRemove: Boolean get() = !busy && lockId.isNotBlank() &&
        (order?.contacted?.isNotEmpty() == true || contactParty.isNotBlank())
}

/** The alarm group's work (R1.6, R1.9, R1.10, R1.12): orders, commissioning, demonstration, receipt. */
class TechnicianHolder(
    private val core: NyckelfriApp,
    private val language: Language,
    private val times: Times,
    private val scope: CoroutineScope,
    private val io: CoroutineDispatcher,
    initial: TechnicianState = TechnicianState(),
) {
    private val _state = MutableStateFlow(initial)
    val state: StateFlow<TechnicianState> = _state
    private val quiet = object : UnlockListener {
        override fun onStep(step: UnlockStep) {}
    }

    fun load(): Job = scope.launch {
        _state.update { it.copy(loading = true, problem = null) }
        try {
            val rows = core.installationOrders().map { it.toRow(times) }
            _state.update { it.copy(loading = false, orders = rows) }
        } catch (e: Exception) {
            _state.update { it.copy(loading = false, problem = problemOf(e)) }
        }
    }

    fun select(id: String) = _state.update { s ->
        val o = s.orders.firstOrNull { it.id == id } ?: return@update s
        TechnicianState(orders = s.orders, stage = TechStage.COMMISSION, order = o, lockId = o.lockId.orEmpty())
    }

    /** Back to the order list; false when already there. */
    fun back(): Boolean {
        if (_state.value.stage == TechStage.ORDERS) return false
        _state.update { TechnicianState(orders = it.orders) }
        return true
    }
    fun lockId(v: String) = _state.update { it.copy(lockId = v.trim(), problem = null) }
    fun keyHex(v: String) = _state.update { it.copy(keyHex = v.trim().lowercase(), problem = null) }

    // R1.6, R1.9: the lock gets the issuer's grant; someone inside presses its setup button.
    fun commission(): Job = scope.launch {
        val s = _state.value
        val o = s.order ?: return@launch
        if (!s.canCommission) return@launch
        _state.update { it.copy(busy = true, problem = null, presenceRequired = false) }
        try {
            // The server grants only for a lock key on this open installation order.
            val c = core.commissionLock(o.id, s.lockId, s.keyHex)
            _state.update {
                when (c.status) {
                    "ok" -> it.copy(busy = false, stage = TechStage.DEMONSTRATION)
                    "presence_required" -> it.copy(busy = false, presenceRequired = true)
                    // Someone else's grant got there first; the lock's signed refusal proves it.
                    "claimed_by_another_issuer" -> it.copy(busy = false, problem = Msg("tech_factory_reset_needed"))
                    else -> it.copy(busy = false, problem = Msg("tech_commission_refused", c.status))
                }
            }
        } catch (e: Exception) {
            _state.update { it.copy(busy = false, problem = problemOf(e)) }
        }
    }

    // R1.9: open and lock the real lock in front of the brukare.
    fun demonstrate(): Job = scope.launch {
        val s = _state.value
        _state.update { it.copy(busy = true, problem = null) }
        try {
            val steps = core.demonstrate(s.lockId, language, quiet).map { d ->
                DemoRow(d.title, d.text, d.outcome?.let(::opened))
            }
            _state.update { it.copy(busy = false, demonstration = steps) }
        } catch (e: Exception) {
            _state.update { it.copy(busy = false, problem = problemOf(e)) }
        }
    }

    fun toSignature() = _state.update { it.copy(stage = TechStage.SIGNATURE) }
    fun addStroke(points: List<Pt>) = _state.update { if (points.isEmpty()) it else it.copy(strokes = it.strokes + listOf(points)) }
    fun clearSignature() = _state.update { it.copy(strokes = emptyList()) }
    fun witness(v: String) = _state.update { it.copy(witness = v) }
    fun witnessReason(v: String) = _state.update { it.copy(witnessReason = v) }
    fun contactParty(v: String) = _state.update { it.copy(contactParty = v) }

    // R1.9: the brukare signs the receipt and agreement; then the lock goes into service (R1.10).
    fun signAndFinish(): Job = scope.launch {
        val s = _state.value
        val o = s.order ?: return@launch
        if (!s.canSign) return@launch
        _state.update { it.copy(busy = true, problem = null) }
        try {
            val consent = if (s.strokes.any { it.size > 1 }) {
                BrukareConsent.Signed(s.strokes.map { st -> SignatureStroke(st.map { StrokePoint(it.x, it.y) }) })
            } else {
                BrukareConsent.Confirmed(s.witness.trim(), s.witnessReason.trim())
            }
            // A retry after a failed finish keeps the receipt already signed: one per installation.
            if (s.receiptId == null) {
                val receipt = withContext(io) {
                    core.signInstallationReceipt(s.lockId, o.brukareId, o.brukareName, AGREEMENT_VERSION, language, consent)
                }
                _state.update { it.copy(receiptId = receipt.receiptId) }
            }
            // R1.10: the lock leaves installation mode and the server marks the order installed.
            val outcome = core.finishInstallation(s.lockId, o.brukareId, quiet)
            // A lock that did not do its part leaves the technician here, to check it and try again.
            _state.update {
                if (opened(outcome)) it.copy(busy = false, stage = TechStage.DONE, result = Msg("tech_installed"))
                else it.copy(busy = false, problem = Msg("tech_finish_failed"))
            }
        } catch (e: Exception) {
            _state.update { it.copy(busy = false, problem = problemOf(e)) }
        }
    }

    // R1.12: "Larmgruppen tar kontakt med berörda parter och genomför nedmonteringen".
    fun removeLock(): Job = scope.launch {
        val s = _state.value
        if (!s.canRemove) return@launch
        _state.update { it.copy(busy = true, problem = null) }
        try {
            val o = s.order
            if (o != null && o.removal && o.contacted.isEmpty()) {
                val after = withContext(io) { core.recordRemovalContact(o.id, s.contactParty.trim(), null) }
                _state.update { it.copy(order = o.copy(contacted = after.contacts.map { c -> c.party })) }
            }
            val outcome = core.removeLock(s.lockId, quiet)
            _state.update {
                if (opened(outcome)) it.copy(busy = false, stage = TechStage.DONE, result = Msg("tech_removed"))
                else it.copy(busy = false, problem = Msg("tech_remove_failed"))
            }
        } catch (e: Exception) {
            _state.update { it.copy(busy = false, problem = problemOf(e)) }
        }
    }

    private companion object {
        const val AGREEMENT_VERSION = 1u
    }
}

private fun opened(o: UnlockOutcome) = o is UnlockOutcome.Opened || o is UnlockOutcome.OpenedBatteryLow


private fun InstallationOrder.toRow(times: Times) = OrderRow(
    contacted = contacts.map { it.party },
    id = id,
    kind = when (kind) {
        "new_brukare" -> Msg("order_kind_new")
        "existing_brukare" -> Msg("order_kind_existing")
        "entrance" -> Msg("order_kind_entrance")
        "removal" -> Msg("order_kind_removal")
        else -> Msg("order_kind_other")
    },
    removal = kind == "removal",
    status = when (status) {
        "open" -> Msg("order_status_open")
        "scheduled" -> Msg("order_status_scheduled")
        else -> Msg("order_status_other")
    },
    brukareId = brukareId,
    brukareName = brukareDisplayName,
    lockId = lockId,
    contact = contactName,
    contactPhone = contactPhone,
    address = address,
    due = dueAt?.let(times::dayHm),
    scheduled = scheduledFor?.let(times::dayHm),
)
