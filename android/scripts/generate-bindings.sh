#!/usr/bin/env bash
# Generates the core's Kotlin bindings (package se.nyckelfri.core, never
# committed) into OUT_DIR, the same way scripts/test-kotlin does: uniffi
# library mode with the workspace's uniffi-bindgen and uniffi.toml, reading
# the metadata of a host debug build of nyckelfri-core (the phones' builds
# are stripped; the API is the same on every target).
#
#   android/scripts/generate-bindings.sh [OUT_DIR]
#
# OUT_DIR defaults to android/app/build/generated/uniffi; the app's Gradle
# build runs this itself (task generateUniffiBindings). On Linux the host
# build needs libdbus-1-dev and pkg-config (btleplug's BlueZ backend).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/android/app/build/generated/uniffi}
target=${CARGO_TARGET_DIR:-$repo/target}

cd "$repo"
cargo build -q -p nyckelfri-core
case "$(uname -s)" in
  Darwin) lib="$target/debug/libnyckelfri_core.dylib" ;;
  *) lib="$target/debug/libnyckelfri_core.so" ;;
esac
rm -rf "$out"
cargo run -q -p uniffi-bindgen -- generate --no-format --config uniffi.toml \
  "$lib" --language kotlin --out-dir "$out"
test -f "$out/se/nyckelfri/core/nyckelfri_core.kt" || { echo "bindings not generated in $out" >&2; exit 1; }
echo "Kotlin bindings in $out"
