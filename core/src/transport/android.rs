//! The BLE runtime, and on Android the one JNI entry point the app calls
//! once before using Bluetooth.
//!
//! btleplug's Android backend (droidplug) calls into Java from whichever
//! thread polls it, so every thread of the BLE runtime is attached to the
//! JVM when it starts. `platform::init` needs a `JNIEnv`, which uniffi does
//! not give Rust; hence this tiny exported function.

/// Builds the runtime all btleplug work runs on.
pub(crate) fn ble_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(1)
        .thread_name("nyckelfri-ble")
        .enable_all();
    #[cfg(target_os = "android")]
    builder.on_thread_start(jvm::attach_current_thread);
    builder.build()
}

#[cfg(target_os = "android")]
mod jvm {
    use std::sync::OnceLock;

    use jni::objects::JClass;
    use jni::{EnvUnowned, JavaVM};

    static VM: OnceLock<JavaVM> = OnceLock::new();

    pub(super) fn attach_current_thread() {
        if let Some(vm) = VM.get() {
            // jni 0.22 asks for a permanent attachment: the thread lives as
            // long as the runtime.
            let _ = vm.attach_current_thread(|_| Ok::<(), jni::errors::Error>(()));
        }
    }

    /// Called once from Kotlin (`NyckelfriBle.init()`), on the main thread,
    /// before the first Bluetooth use. Returns false if btleplug could not
    /// start (the app then shows that Bluetooth is unavailable); a JNI error
    /// or a panic becomes a Java exception rather than crossing into the VM.
    #[unsafe(no_mangle)]
    pub extern "system" fn Java_se_nyckelfri_app_NyckelfriBle_init<'local>(
        mut env: EnvUnowned<'local>,
        _class: JClass<'local>,
    ) -> bool {
        env.with_env(|env| -> Result<bool, jni::errors::Error> {
            if let Ok(vm) = env.get_java_vm() {
                let _ = VM.set(vm);
            }
            Ok(btleplug::platform::init(env).is_ok())
        })
        .resolve::<jni::errors::ThrowRuntimeExAndDefault>()
    }
}
