// swift-tools-version:5.9
// The iOS shell's Swift package: the core's bindings (NyckelfriCore), the
// screens' view models (NyckelfriViewModels) and their tests. The SwiftUI
// app in App/ uses it as a local package (see project.yml); it is not part
// of this manifest so that the package builds and tests on Linux.
//
// Generated, never committed: Sources/NyckelfriCore/Generated (the uniffi
// Swift file) everywhere; on Linux also Sources/NyckelfriCoreFFI (header and
// modulemap) and lib/ (the core's .so and the server), put in place by
// scripts/test-swift; on a Mac build/NyckelfriCoreFFI.xcframework, made by
// scripts/build-xcframework.sh.
import Foundation
import PackageDescription

#if os(Linux)
let lib = Context.packageDirectory + "/lib"
let ffi: Target = .systemLibrary(name: "NyckelfriCoreFFI", path: "Sources/NyckelfriCoreFFI")
let coreLinking: [LinkerSetting] = [
    .linkedLibrary("nyckelfri_core"),
    .unsafeFlags(["-L", lib, "-Xlinker", "-rpath", "-Xlinker", lib]),
]
#else
// The static core for device and simulator; btleplug talks to CoreBluetooth.
let ffi: Target = .binaryTarget(name: "NyckelfriCoreFFI", path: "build/NyckelfriCoreFFI.xcframework")
let coreLinking: [LinkerSetting] = [
    .linkedFramework("CoreBluetooth"),
    .linkedFramework("Security"),
    .linkedFramework("SystemConfiguration"),
]
#endif

// Simulated locks, the software signer and bundles fed in as JSON exist only
// in a core built with its `simulation` feature: the tests (always on Linux,
// scripts/test-swift) and demo builds (scripts/build-xcframework.sh
// --simulation, which leaves the marker build/simulation; or
// NYCKELFRI_SIMULATION=1 in the environment). A store build leaves it off.
#if os(Linux)
let simulation = true
#else
let simulation = Context.environment["NYCKELFRI_SIMULATION"] == "1"
    || FileManager.default.fileExists(atPath: Context.packageDirectory + "/build/simulation")
#endif
let simulationSettings: [SwiftSetting] = simulation ? [.define("NYCKELFRI_SIMULATION")] : []

let package = Package(
    name: "NyckelfriCore",
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [
        .library(name: "NyckelfriCore", targets: ["NyckelfriCore"]),
        .library(name: "NyckelfriViewModels", targets: ["NyckelfriViewModels"]),
    ],
    targets: [
        ffi,
        .target(
            name: "NyckelfriCore",
            dependencies: ["NyckelfriCoreFFI"],
            path: "Sources/NyckelfriCore",
            linkerSettings: coreLinking
        ),
        .target(
            name: "NyckelfriViewModels",
            dependencies: ["NyckelfriCore"],
            path: "Sources/NyckelfriViewModels",
            swiftSettings: simulationSettings
        ),
        // Helpers shared by the test targets: the real server as a child
        // process, a Swift signer, listeners, assertions.
        .target(
            name: "NyckelfriTestSupport",
            dependencies: ["NyckelfriCore"],
            path: "Tests/Support",
            swiftSettings: simulationSettings
        ),
        .testTarget(
            name: "NyckelfriCoreTests",
            dependencies: ["NyckelfriCore", "NyckelfriTestSupport"],
            path: "Tests/NyckelfriCoreTests",
            swiftSettings: simulationSettings
        ),
        .testTarget(
            name: "NyckelfriViewModelsTests",
            dependencies: ["NyckelfriViewModels", "NyckelfriTestSupport"],
            path: "Tests/NyckelfriViewModelsTests",
            swiftSettings: simulationSettings
        ),
    ]
)
