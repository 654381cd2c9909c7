#!/usr/bin/env bash
# Copies btleplug's Android Java classes (droidplug: com.nonpolynomial.btleplug.android.impl.*,
# with its vendored jni-utils io.github.gedgygedgy.rust.*) from the btleplug
# crate the workspace locks into OUT_DIR, as Java sources for the app. The
# Rust side (btleplug::platform::init) finds these classes through JNI, so the
# APK must contain exactly the version Cargo.lock builds.
#
#   android/scripts/fetch-droidplug-java.sh [OUT_DIR]
#
# OUT_DIR defaults to android/app/build/generated/droidplug/java; the app's
# Gradle build runs this itself (task fetchDroidplugJava). Needs cargo; the
# crate comes from ~/.cargo/registry (cargo downloads it if missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/android/app/build/generated/droidplug/java}

cd "$repo"
# The btleplug package Cargo resolves for the Android targets (the one in the APK).
manifest=$(cargo metadata --format-version 1 --filter-platform aarch64-linux-android \
  | grep -o '"manifest_path":"[^"]*/btleplug-[0-9][^"]*/Cargo.toml"' | head -n 1 \
  | sed -e 's/^"manifest_path":"//' -e 's/"$//')
if [ -z "$manifest" ]; then
  echo "btleplug is not in the workspace's dependency graph for Android" >&2
  exit 1
fi
src="$(dirname "$manifest")/src/droidplug/java/src/main/java"
for class in com/nonpolynomial/btleplug/android/impl/Adapter.java \
             com/nonpolynomial/btleplug/android/impl/Peripheral.java \
             io/github/gedgygedgy/rust/future/Future.java; do
  if [ ! -f "$src/$class" ]; then
    echo "$src/$class is missing: this btleplug version ships its Java classes elsewhere" >&2
    exit 1
  fi
done

rm -rf "$out"
mkdir -p "$out"
cp -R "$src/." "$out/"
echo "droidplug Java sources from $(basename "$(dirname "$manifest")"): $(find "$out" -name '*.java' | wc -l | tr -d ' ') files in $out"
