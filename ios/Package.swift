// swift-tools-version:5.9
// The Swift bindings of nyckelfri-core and their tests. The generated files
// (Sources/NyckelfriCoreFFI, Sources/NyckelfriCore/Generated) and lib/ (the
// core's .so, the server) are put in place by scripts/test-swift; they are
// never committed.
import PackageDescription

let lib = Context.packageDirectory + "/lib"

let package = Package(
    name: "NyckelfriCore",
    products: [
        .library(name: "NyckelfriCore", targets: ["NyckelfriCore"]),
    ],
    targets: [
        .systemLibrary(name: "NyckelfriCoreFFI", path: "Sources/NyckelfriCoreFFI"),
        .target(
            name: "NyckelfriCore",
            dependencies: ["NyckelfriCoreFFI"],
            path: "Sources/NyckelfriCore",
            linkerSettings: [
                .linkedLibrary("nyckelfri_core"),
                .unsafeFlags(["-L", lib, "-Xlinker", "-rpath", "-Xlinker", lib]),
            ]
        ),
        .testTarget(
            name: "NyckelfriCoreTests",
            dependencies: ["NyckelfriCore"],
            path: "Tests/NyckelfriCoreTests"
        ),
    ]
)
