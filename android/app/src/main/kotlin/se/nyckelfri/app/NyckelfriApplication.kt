package se.nyckelfri.app

import android.app.Application
import android.util.Log
import java.io.File
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.launch
import se.nyckelfri.app.platform.KeystoreSigner
import se.nyckelfri.app.platform.openCore
import se.nyckelfri.app.state.AppHolders
import se.nyckelfri.core.AppConfig
import se.nyckelfri.core.Language
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.NyckelfriException

/** How the app started: the core, or why there is none. */
sealed interface Startup {
    class Ready(val core: NyckelfriApp) : Startup

    /** The core could not open; [error] says whether updating the app helps. */
    class Failed(val error: Throwable) : Startup
}

/**
 * Opens the core once per process and keeps the screens' state holders,
 * so rotating the phone or recreating the activity loses nothing.
 */
class NyckelfriApplication : Application() {
    /** Lives as long as the process: the holders' work outlives any one activity. */
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Main.immediate)

    lateinit var startup: Startup
        private set

    private var holders: Pair<Language, AppHolders>? = null

    override fun onCreate() {
        super.onCreate()
        startup = start()
    }

    private fun start(): Startup = try {
        // Before the core opens: the BLE runtime's threads attach to the JavaVM this hands over.
        if (!NyckelfriBle.init()) Log.w(TAG, "Bluetooth LE could not start; doors will report it")
        val opened = openCore {
            NyckelfriApp.open(AppConfig(databasePath = File(filesDir, DATABASE).path), KeystoreSigner(this))
        }
        opened.damagedDatabaseMovedTo?.let { Log.w(TAG, "a damaged database was kept aside at $it") }
        // Openings a crash interrupted: the core closes those that can no longer be
        // finished and sends nothing by itself; the worker's next tap on Open finishes
        // the rest with the same request id (the door never moves twice).
        scope.launch(Dispatchers.IO) {
            try {
                opened.app.pendingUnlocks()
            } catch (e: NyckelfriException) {
                Log.w(TAG, "closing interrupted unlocks failed: ${e.message}")
            }
        }
        Startup.Ready(opened.app)
    } catch (e: NyckelfriException) {
        Startup.Failed(e)
    } catch (e: UnsatisfiedLinkError) {
        // The APK lacks libnyckelfri_core.so for this phone's ABI.
        Startup.Failed(e)
    }

    /** The screens' holders in [language]; new ones only when the language changed. */
    fun holders(core: NyckelfriApp, language: Language): AppHolders =
        holders?.takeIf { it.first == language }?.second
            ?: AppHolders(core, language, scope).also { holders = language to it }

    companion object {
        /** In filesDir, which the backup rules exclude: a restored copy would carry another phone's keys. */
        const val DATABASE = "nyckelfri.db"
        private const val TAG = "Nyckelfri"
    }
}
