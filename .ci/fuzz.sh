#!/usr/bin/env bash
# Bounded fuzz pass over every cargo-fuzz target in fuzz/ (see fuzz/Cargo.toml).
#
#   FUZZ_SECONDS=20 .ci/fuzz.sh                 # each target for 20 s (default)
#   FUZZ_TARGETS="lock_handle reassembly" .ci/fuzz.sh   # only these targets
#
# Needs a nightly toolchain (libFuzzer + sanitizers); without one it prints
# "skipped: no nightly toolchain" and exits 0. Installs cargo-fuzz if missing.
# Prints one line per target and exits 1 if any target found a crash, a
# timeout or an out-of-memory; the reproducer is kept in
# fuzz/artifacts/<target>/ and printed as hex. Full logs: fuzz/target/fuzz-logs/.
#
# A longer session, by hand (Ctrl-C to stop; new inputs go to fuzz/corpus/<target>):
#
#   cd fuzz
#   cargo +nightly fuzz list
#   cargo +nightly fuzz run <target> corpus/<target> seeds/<target>
#   cargo +nightly fuzz run <target> corpus/<target> seeds/<target> -- -jobs=2 -workers=2 -max_total_time=3600
#
# Reproduce or minimise a finding:
#
#   cargo +nightly fuzz run <target> artifacts/<target>/crash-<hash>
#   cargo +nightly fuzz tmin <target> artifacts/<target>/crash-<hash>
#
# Seeds in fuzz/seeds/ are signed with the fixed test keys in fuzz/src/lib.rs;
# regenerate with: cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds
set -euo pipefail

cd "$(dirname "$0")/../fuzz"

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: skipped: no nightly toolchain (cargo +nightly not available)"
  exit 0
fi

seconds="${FUZZ_SECONDS:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "fuzz: FUZZ_SECONDS must be a positive integer, got '$seconds'" >&2
  exit 2
fi

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

start=$SECONDS
echo "fuzz: $(cargo +nightly --version); $(cargo +nightly fuzz --version)"
echo "fuzz: building targets"
cargo +nightly fuzz build
echo "fuzz: build done in $((SECONDS - start)) s"

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

logs=target/fuzz-logs
mkdir -p "$logs"
failed=()

# stat NAME LOG: the value of libFuzzer's final "stat::NAME:" line.
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "seeds/$t"
  log="$logs/$t.log"
  rc=0
  # corpus/<t> collects new inputs; seeds/<t> is read only.
  cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1 || rc=$?

  runs=$(stat number_of_executed_units "$log")
  eps=$(stat average_exec_per_sec "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2 || true)
  corpus=$(find "corpus/$t" -type f | wc -l)

  if ((rc == 0)); then
    printf 'fuzz %-18s ok      %10s runs  %6s exec/s  cov %5s  corpus %s\n' \
      "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "$corpus"
    continue
  fi

  failed+=("$t")
  kind=crash
  if grep -q 'ERROR: libFuzzer: timeout' "$log"; then kind=timeout; fi
  if grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then kind=oom; fi
  if grep -q 'ERROR: LeakSanitizer' "$log"; then kind=leak; fi
  artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  printf 'fuzz %-18s FAILED  %s (exit %s) after %s runs; reproducer: %s\n' \
    "$t" "$kind" "$rc" "${runs:-?}" "${artifact:-none (see $log)}"
  # The panic location and message (the line after), then the detector's verdict.
  grep -m 1 -A 1 "panicked at" "$log" | sed 's/^/    /' || true
  grep -m 1 -E "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)" "$log" | sed 's/^/    /' || true
  if [[ -n "$artifact" && -f "$artifact" ]]; then
    echo "    input ($(wc -c <"$artifact") bytes, hex): $(od -An -v -tx1 "$artifact" | tr -d ' \n' | cut -c1-2048)"
    echo "    reproduce: (cd fuzz && cargo +nightly fuzz run $t $artifact)"
  fi
done

echo "fuzz: ${#targets[@]} target(s), ${seconds} s each, $((SECONDS - start)) s in total"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: all targets ok"
