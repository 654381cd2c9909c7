package se.nyckelfri.app

import java.io.File
import java.nio.file.Files
import java.util.concurrent.TimeUnit
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The APK's Java half of btleplug comes from android/scripts/fetch-droidplug-java.sh
 * (run by the Gradle build): it must find the classes the Rust side looks
 * up over JNI in the locked btleplug crate, and R8 must be told to keep them.
 */
class DroidplugSourcesTest {
    @Test
    fun `the script copies droidplug and jni-utils classes from the locked btleplug, and R8 keeps them`() {
        val out = Files.createTempDirectory("droidplug").toFile()
        val p = ProcessBuilder("bash", "../scripts/fetch-droidplug-java.sh", out.path)
            .redirectErrorStream(true).start()
        val log = p.inputStream.bufferedReader().readText()
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the script did not finish: $log")
        assertEquals(0, p.exitValue(), log)

        // The classes btleplug 0.13's Rust side loads by name at init.
        for (cls in listOf(
            "com/nonpolynomial/btleplug/android/impl/Adapter",
            "com/nonpolynomial/btleplug/android/impl/Peripheral",
            "io/github/gedgygedgy/rust/future/Future",
            "io/github/gedgygedgy/rust/stream/Stream",
            "io/github/gedgygedgy/rust/task/Waker",
        )) {
            assertTrue(File(out, "$cls.java").isFile, "$cls.java missing; copied: ${out.walk().filter { it.isFile }.toList()}")
        }
        // Only main sources: the crate's JUnit tests would not compile in the app.
        assertTrue(out.walk().none { it.path.contains("/test/") || it.name.endsWith("Test.java") })

        val packages = out.walk().filter { it.name.endsWith(".java") }
            .map { it.parentFile.relativeTo(out).path.replace('/', '.') }.toSet()
        val rules = File("../app/proguard-rules.pro").readLines().map { it.trim() }
        for (pkg in packages) {
            assertTrue(
                rules.any { r -> r.startsWith("-keep class ") && r.substringAfter("-keep class ").substringBefore(" ").removeSuffix(".**").let { pkg.startsWith(it) } },
                "R8 would strip $pkg, which only native code reaches",
            )
        }
        out.deleteRecursively()
    }
}
