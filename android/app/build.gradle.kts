import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

// The Cargo workspace: android/ is one of its folders.
val repoRoot: File = rootDir.parentFile
val uniffiDir = layout.buildDirectory.dir("generated/uniffi")
val droidplugDir = layout.buildDirectory.dir("generated/droidplug/java")
val jniLibsDir = file("src/main/jniLibs")
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")
val rustProfile = providers.gradleProperty("nyckelfri.rustProfile").getOrElse("release-mobile")
val buildRust = providers.gradleProperty("nyckelfri.buildRust").map(String::toBoolean).getOrElse(true)

android {
    namespace = "se.nyckelfri.app"
    compileSdk = 35

    defaultConfig {
        applicationId = "se.nyckelfri.app"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // Only the ABIs the core is built for; JNA's AAR carries more.
        ndk { abiFilters += abis }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures { compose = true }

    sourceSets.getByName("main") {
        // Generated at build time, never committed: the core's Kotlin
        // bindings and btleplug's Java classes (see the tasks below).
        java.srcDir(uniffiDir.get().asFile)
        java.srcDir(droidplugDir.get().asFile)
    }

    packaging {
        // JNA's and the core's .so are stored uncompressed and page-aligned (the default), loaded in place.
        jniLibs.useLegacyPackaging = false
    }
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.JVM_17) }
}

dependencies {
    // uniffi's Kotlin reaches the core through JNA; the AAR carries libjnidispatch.so per ABI.
    implementation("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.fragment.ktx)
    implementation(libs.androidx.biometric)
    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.foundation)
    implementation(libs.compose.material3)
    implementation(libs.compose.material.icons.core)
    implementation(libs.compose.ui.tooling.preview)
    debugImplementation(libs.compose.ui.tooling)
}

// --- The Rust side, built and generated from the workspace -------------------

val generateUniffiBindings by tasks.registering(Exec::class) {
    group = "nyckelfri"
    description = "Generates the core's Kotlin bindings (uniffi library mode) into build/generated/uniffi."
    workingDir = repoRoot
    commandLine("bash", "android/scripts/generate-bindings.sh", uniffiDir.get().asFile.path)
    inputs.dir(repoRoot.resolve("core/src"))
    inputs.files(repoRoot.resolve("core/Cargo.toml"), repoRoot.resolve("Cargo.lock"), repoRoot.resolve("uniffi.toml"))
    outputs.dir(uniffiDir)
}

val fetchDroidplugJava by tasks.registering(Exec::class) {
    group = "nyckelfri"
    description = "Copies btleplug's Android Java classes (droidplug, jni-utils) from the locked crate into build/generated/droidplug."
    workingDir = repoRoot
    commandLine("bash", "android/scripts/fetch-droidplug-java.sh", droidplugDir.get().asFile.path)
    inputs.file(repoRoot.resolve("Cargo.lock"))
    outputs.dir(droidplugDir)
}

val cargoNdkBuild by tasks.registering(Exec::class) {
    group = "nyckelfri"
    description = "Builds libnyckelfri_core.so for each ABI with cargo ndk into src/main/jniLibs."
    workingDir = repoRoot
    // Only the time zones the app uses: the full tz database would add about a megabyte per ABI.
    environment("CHRONO_TZ_TIMEZONE_FILTER", "(Europe/Stockholm|UTC)")
    commandLine(
        buildList {
            addAll(listOf("cargo", "ndk"))
            abis.forEach { addAll(listOf("-t", it)) }
            addAll(listOf("--platform", "26", "-o", jniLibsDir.path))
            addAll(listOf("build", "-p", "nyckelfri-core", "--profile", rustProfile))
        },
    )
    // Cargo decides what is stale; let it run every time.
    outputs.upToDateWhen { false }
}

tasks.named("preBuild") {
    dependsOn(generateUniffiBindings, fetchDroidplugJava)
    if (buildRust) dependsOn(cargoNdkBuild)
}
