package se.nyckelfri.app.state

import se.nyckelfri.core.NyckelfriException

/**
 * What went wrong, as a text that also says what to do next. The core's
 * errors each carry a next step; this picks the matching string.
 */
fun problemOf(e: Throwable): Msg = when (e) {
    is NyckelfriException.Network -> Msg("error_network")
    is NyckelfriException.NotEnrolled -> Msg("error_not_enrolled")
    is NyckelfriException.Server -> when (e.code) {
        "device_revoked" -> Msg("error_device_revoked")
        "unauthorized" -> Msg("error_unauthorized")
        "forbidden" -> Msg("error_forbidden")
        "busy" -> Msg("error_busy")
        else -> Msg("error_server", e.status.toString(), e.code)
    }
    is NyckelfriException.Storage -> Msg("error_storage")
    is NyckelfriException.DatabaseCorrupt -> Msg("error_database_corrupt")
    is NyckelfriException.DatabaseTooNew -> Msg("error_database_too_new")
    is NyckelfriException.Signer, is NyckelfriException.KeyFile -> Msg("error_signer")
    is NyckelfriException.NotFound -> Msg("error_not_found")
    is NyckelfriException.InvalidInput -> Msg("error_invalid_input", e.reason)
    else -> Msg("error_internal")
}

/** Enrollment's own reading of a refusal: a used or mistyped code is the usual cause. */
fun enrollProblemOf(e: Throwable): Msg =
    if (e is NyckelfriException.Server && e.status.toInt() in 400..499 && e.code != "busy") {
        Msg("error_enroll_code")
    } else {
        problemOf(e)
    }
