#!/usr/bin/env bash
# Builds the core for iOS on a Mac: ios/build/NyckelfriCoreFFI.xcframework
# (the static library for devices and for the simulator, with the C header
# and module map of the uniffi bindings) and the Swift bindings in
# ios/Sources/NyckelfriCore/Generated. Both are generated, never committed;
# the Swift package (ios/Package.swift) picks them up on Apple platforms.
#
# Needs macOS with Xcode, rustup, and the three iOS targets (this script
# adds them). Usage, from anywhere:
#
#   ios/scripts/build-xcframework.sh                the store build
#   ios/scripts/build-xcframework.sh --simulation   a demo build
#
# The store build leaves out the core's `simulation` feature: no simulated
# locks, software signer or JSON bundles in the library or the bindings, and
# the lock crate is not linked. --simulation turns it on for the demo mode
# (-demo in the scheme) and writes the marker ios/build/simulation, which
# makes Package.swift and ios/build/Core.xcconfig (the app target's, see
# project.yml) define NYCKELFRI_SIMULATION for the Swift that uses it.
set -euo pipefail
simulation=0
case ${1:-} in
  --simulation) simulation=1 ;;
  "") ;;
  *) echo "usage: $0 [--simulation]"; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
repo=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$repo/target}
profile=release-mobile        # the root Cargo.toml: LTO, size-optimized, stripped
lib=libnyckelfri_core.a
out=ios/build
gen=$out/uniffi
xcframework=$out/NyckelfriCoreFFI.xcframework
device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)

[[ $(uname -s) == Darwin ]] || { echo "build-xcframework.sh needs macOS with Xcode"; exit 1; }
command -v xcodebuild >/dev/null || { echo "xcodebuild not found: install Xcode"; exit 1; }
command -v rustup >/dev/null || { echo "rustup not found: https://rustup.rs"; exit 1; }

# Observation needs iOS 17; the Rust code is built for the same floor.
export IPHONEOS_DEPLOYMENT_TARGET=17.0

# 1. The static library for each target (default features: BLE through
#    btleplug, which uses CoreBluetooth on iOS and needs no setup; plus
#    `simulation` for a demo build).
features=()
((simulation)) && features=(--features simulation)
rustup target add "$device" "${simulators[@]}"
for t in "$device" "${simulators[@]}"; do
  echo "=== cargo build --target $t --profile $profile ${features[*]}"
  cargo build -p nyckelfri-core --lib --profile "$profile" --target "$t" "${features[@]}"
done

# 2. The bindings, in library mode from a host build exactly as
#    scripts/test-swift makes them (the metadata is the same for every
#    target, and the host build keeps the symbols library mode reads).
cargo build -p nyckelfri-core "${features[@]}"
rm -rf "$gen"
cargo run -q -p uniffi-bindgen -- generate --no-format --config uniffi.toml \
  "$target_dir/debug/libnyckelfri_core.dylib" --language swift --out-dir "$gen"
for f in NyckelfriCore.swift NyckelfriCoreFFI.h NyckelfriCoreFFI.modulemap; do
  test -f "$gen/$f" || { echo "bindings not generated: $gen/$f"; ls "$gen"; exit 1; }
done
mkdir -p ios/Sources/NyckelfriCore/Generated
cp "$gen/NyckelfriCore.swift" ios/Sources/NyckelfriCore/Generated/

# 3. One simulator library for both simulator architectures.
rm -rf "$out/headers" "$out/ios-simulator"
mkdir -p "$out/headers" "$out/ios-simulator"
sim_libs=()
for t in "${simulators[@]}"; do sim_libs+=("$target_dir/$t/$profile/$lib"); done
lipo -create "${sim_libs[@]}" -output "$out/ios-simulator/$lib"

# 4. The XCFramework: each library with the header and the module map
#    (named module.modulemap, so that Swift finds the NyckelfriCoreFFI module).
cp "$gen/NyckelfriCoreFFI.h" "$out/headers/"
cp "$gen/NyckelfriCoreFFI.modulemap" "$out/headers/module.modulemap"
rm -rf "$xcframework"
xcodebuild -create-xcframework \
  -library "$target_dir/$device/$profile/$lib" -headers "$out/headers" \
  -library "$out/ios-simulator/$lib" -headers "$out/headers" \
  -output "$xcframework"

# 5. What the Swift is compiled with: the package reads the marker, the app
#    target the xcconfig (project.yml).
if ((simulation)); then
  touch "$out/simulation"
  echo 'SWIFT_ACTIVE_COMPILATION_CONDITIONS = $(inherited) NYCKELFRI_SIMULATION' >"$out/Core.xcconfig"
else
  rm -f "$out/simulation"
  echo '// The store build: no simulated locks (build-xcframework.sh --simulation for a demo build).' >"$out/Core.xcconfig"
fi

echo "=== done: $xcframework and ios/Sources/NyckelfriCore/Generated/NyckelfriCore.swift"
((simulation)) && echo "(a demo build, with the simulation feature: not for the App Store)"
echo "next: cd ios && xcodegen generate && open Nyckelfri.xcodeproj"
