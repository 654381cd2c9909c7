package se.nyckelfri.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertNull
import se.nyckelfri.app.state.AppHolders
import se.nyckelfri.app.state.Times
import se.nyckelfri.core.DemoServer
import se.nyckelfri.core.JcaSigner
import se.nyckelfri.core.Language
import se.nyckelfri.core.NyckelfriApp
import se.nyckelfri.core.SimulatedLockSet
import se.nyckelfri.core.WithDemoServer
import se.nyckelfri.core.config
import se.nyckelfri.core.tempDir

/**
 * Phones of their own (a real core on its own database, with the app's
 * state holders) against the class's demo server; all closed after the
 * class's last test, before the server stops.
 */
abstract class WithPhones : WithDemoServer() {
    protected val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val opened = mutableListOf<NyckelfriApp>()

    /** A new phone's core over [locks]. */
    protected fun openCore(name: String, locks: SimulatedLockSet): NyckelfriApp =
        NyckelfriApp.openWithSimulatedLocks(config(tempDir("nf-$name").resolve("app.db")), JcaSigner(), locks)
            .also { opened += it }

    /** The app's state holders over [core], as the app makes them at start. */
    protected fun holdersOf(core: NyckelfriApp, language: Language = Language.SWEDISH): AppHolders =
        AppHolders(core, language, scope, Times())

    /** Enrolls through the enroll screen's holder, as a worker would, with a fresh code. */
    protected suspend fun enrolled(h: AppHolders, staff: String, srv: DemoServer = server): AppHolders {
        h.enroll.serverUrl(srv.url)
        h.enroll.code(srv.newCode(staff))
        h.enroll.label("Testtelefon")
        h.enroll.enroll().join()
        assertNull(h.enroll.state.value.problem, "enroll $staff: ${h.enroll.state.value.problem}")
        return h
    }

    @AfterAll
    fun closePhones() {
        scope.cancel()
        opened.forEach { it.close() }
    }
}
