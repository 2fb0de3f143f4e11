#!/usr/bin/env bash
# Runs every check of the project: formatting, lints, Rust unit tests, then the C tests
# (cmocka programs linked against libota.a through CMake, the ABI and header checks) under ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/deps.sh

echo "== cargo fmt / clippy"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
# Optional ports are checked and tested with their features on as well.
cargo clippy --quiet --all-targets --features pal-posix -- -D warnings
scripts/check-layers.sh
# The QEMU firmware's signature-check crate stands alone (its own lock and target folder).
(d="$PWD/build/firmware_qemu/verify-host"; cd examples/firmware_qemu/verify &&
    CARGO_TARGET_DIR="$d" cargo fmt --check &&
    CARGO_TARGET_DIR="$d" cargo clippy --quiet --all-targets -- -D warnings &&
    CARGO_TARGET_DIR="$d" cargo test --quiet)

# The cloud simulator stands alone too (its own lock; std crates, kept out of libota.a).
(cd tools/cloud-sim && cargo fmt --check && cargo clippy --quiet --all-targets -- -D warnings &&
    cargo test --quiet)

echo "== cargo test"
cargo test --quiet
cargo test --quiet --features pal-posix pal_posix

echo "== C tests (ctest)"
cmake -S c_tests -B build/c_tests -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/c_tests -j2
ctest --test-dir build/c_tests --output-on-failure -j2

echo "== ThreadSanitizer: an OTA update while application threads hammer the API (c_tests/tsan)"
OTA_TSAN_RUNS=3 c_tests/tsan/run.sh

echo "== log macros that paste onto a literal format (scripts/check-literal-logs.sh)"
scripts/check-literal-logs.sh

echo "== FreeRTOS POSIX simulator (ports/freertos/sim, kernel sources from the freertos-next crate)"
kernel=$(scripts/freertos-kernel.sh)
cmake -S ports/freertos/sim -B build/freertos-sim -DFREERTOS_KERNEL_PATH="$kernel" >/dev/null
cmake --build build/freertos-sim -j2
ctest --test-dir build/freertos-sim --output-on-failure

echo "== Cortex-M (scripts/thumb.sh): five thumb targets, symbols, CMake consumer, layout guard, size budget"
scripts/thumb.sh

echo "== FreeRTOS firmware on an emulated Cortex-M4 (QEMU mps2-an386): update, reset and self test; bad signature; suspend/resume; shutdown"
examples/firmware_qemu/run.sh all

echo "== end-to-end, in process (scripts/demo-local.sh)"
scripts/demo-local.sh

echo "== end-to-end on a real broker: MQTT then HTTP update (scripts/demo.sh)"
scripts/demo.sh

echo "== broker scenarios (mosquitto; then the simulator's own broker)"
scripts/broker-scenarios.sh
scripts/resume-scenarios.sh
OTA_BROKER=embedded scripts/broker-scenarios.sh mqtt broker-restart

echo "== a fleet of 20 devices (scripts/fleet.sh 20)"
scripts/fleet.sh 20

echo "== coverage-guided fuzzing: saved findings, then every target 20 s (scripts/fuzz.sh 20)"
(cd fuzz && cargo fmt --check)
scripts/fuzz.sh 20
