package se.nyckelfri.app.platform

import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.NyckelfriException

/** The core, and where a damaged database went if one had to be set aside. */
class OpenedCore(val app: NyckelfriApp, val damagedDatabaseMovedTo: String?)

/**
 * Opens the core once at app start. A damaged database has already been
 * moved aside (never deleted: its unsynced events can be recovered) when the
 * core reports it, and the core asks to be opened again to start fresh; the
 * worker would otherwise be stuck outside every door until a reinstall.
 * A database from a newer app is not retried: the app must be updated.
 */
fun openCore(open: () -> NyckelfriApp): OpenedCore =
    try {
        OpenedCore(open(), null)
    } catch (e: NyckelfriException.DatabaseCorrupt) {
        OpenedCore(open(), e.movedTo)
    }
