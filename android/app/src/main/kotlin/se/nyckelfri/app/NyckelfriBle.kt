package se.nyckelfri.app

/**
 * The core's one JNI entry point (`Java_se_nyckelfri_app_NyckelfriBle_init`
 * in core/src/transport/android.rs): hands btleplug a JNIEnv and the JavaVM,
 * which uniffi cannot. Static, so the native side receives the class as its
 * second argument, as it declares.
 */
object NyckelfriBle {
    init {
        // JNA loads the same library again for the bindings; the loader
        // keeps one copy, and this load is what makes `init` resolvable.
        System.loadLibrary("nyckelfri_core")
    }

    /**
     * Call once, on the main thread (its class loader sees droidplug's
     * classes), before `NyckelfriApp.open`. False when btleplug could not
     * start; the app then reports Bluetooth as unavailable at the door.
     */
    @JvmStatic
    external fun init(): Boolean
}
