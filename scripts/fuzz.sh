#!/usr/bin/env bash
# Runs each fuzz target of fuzz/ (cargo fuzz, libFuzzer + AddressSanitizer) for a short while,
# one after the other, from the committed seeds plus the local corpus (fuzz/corpus, not
# committed), and fails if any target finds something: a crash, a broken invariant, a leak or
# a hang. Saved findings (fuzz/regressions/<target>/) are replayed first. A new finding's input
# is left in fuzz/artifacts/<target>/.
#   scripts/fuzz.sh [seconds per target, default 20] [target ...]
# Set OTA_FUZZ_LIB_DIR to fuzz another checkout of the library (see fuzz/build.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# cargo fuzz's sanitizer and coverage flags are unstable; this lets the stable toolchain take them.
export RUSTC_BOOTSTRAP=1

secs=${1:-20}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(base64 cbor_decode cbor_encode job_document ingest_mqtt ingest_http agent_events resume)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cd fuzz
echo "== cargo fuzz build (instrumented libota.a with c_tests/config/ota_config.h)"
cargo fuzz build

passed=0
failed=0
for t in "${targets[@]}"; do
    # The seeds are copied in, so libFuzzer only ever writes to the local corpus.
    mkdir -p "corpus/$t"
    cp -n "seeds/$t"/* "corpus/$t"/ 2>/dev/null || true
    log="target/fuzz-$t.log"
    status=0
    # Saved findings first: each runs once and must pass (a fixed bug stays fixed).
    regressions=(regressions/"$t"/*)
    if [ -e "${regressions[0]}" ]; then
        if ! cargo fuzz run "$t" "${regressions[@]}" >"$log" 2>&1; then
            tail -n 60 "$log"
            echo "fuzz $t: a saved finding in fuzz/regressions/$t/ still fails"
            failed=$((failed + 1))
            continue
        fi
    fi
    # -timeout: an input running over 10 s is a hang; -rss_limit_mb bounds a runaway allocation.
    cargo fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -1)
    if [ "$status" -eq 0 ] && grep -q '^Done ' "$log"; then
        echo "fuzz $t: ${runs}, no finding"
        passed=$((passed + 1))
    else
        tail -n 80 "$log"
        echo "fuzz $t: FINDING (exit $status); input in fuzz/artifacts/$t/, log in fuzz/$log"
        failed=$((failed + 1))
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
