#!/usr/bin/env bash
# c_tests/tsan: a whole OTA update while application threads hammer the API, under
# ThreadSanitizer. Builds libota.a with this folder's ota_config.h, the test program (and the
# layout guard) with -fsanitize=thread, runs it, and fails on any ThreadSanitizer report.
#
#   c_tests/tsan/run.sh           C side instrumented, libota.a built as firmware links it (CI)
#   c_tests/tsan/run.sh --rust    also the Rust side (-Zsanitizer=thread, RUSTC_BOOTSTRAP=1)
#
# Output goes to build/tsan/<c|rust>/ (OTA_TSAN_BUILD_DIR overrides build/tsan). Every step is
# bounded by `timeout`: OTA_TSAN_BUILD_TIMEOUT (default 900 s), OTA_TSAN_RUN_TIMEOUT (300 s per
# run; OTA_TSAN_RUNS runs, default 1). The program sees this script's environment, so
# TSAN_OTA_SELF_TEST_EVENTS=0 (see tsan_ota.c) reaches it when set; TSAN_OPTIONS is appended to
# this script's own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"

mode=c
case "${1:-}" in
    "") ;;
    --rust) mode=rust ;;
    *) echo "usage: c_tests/tsan/run.sh [--rust]" >&2; exit 2 ;;
esac
out="${OTA_TSAN_BUILD_DIR:-$root/build/tsan}/$mode"
build_limit=${OTA_TSAN_BUILD_TIMEOUT:-900}
run_limit=${OTA_TSAN_RUN_TIMEOUT:-300}
target=x86_64-unknown-linux-gnu
mkdir -p "$out"

# The Rust side, with this folder's ota_config.h; its own target folder, so nothing is shared
# with other builds of the checkout.
cargo_env=(OTA_CONFIG_DIR="$here" OTA_LAYOUT_GUARD_DIR="$out/guard" CARGO_TARGET_DIR="$out/cargo")
cargo_args=(build --release --quiet --lib --manifest-path "$root/Cargo.toml")
if [ "$mode" = c ]; then
    lib="$out/cargo/release/libota.a"
else
    # --target keeps the flags off the build script and bindgen; the shim's C gets -fsanitize=thread too;
    # line tables make the reports point at source lines.
    rustflags="-Zsanitizer=thread"
    if [ -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library/core" ]; then
        # rust-src is installed: core and compiler_builtins are rebuilt instrumented.
        cargo_args+=(-Zbuild-std=core)
    else
        # Only the precompiled core: rustc refuses the mix unless told it is meant (core's code
        # inlined or monomorphised into ota is instrumented; its memcpy calls are seen).
        rustflags+=" -Cunsafe-allow-abi-mismatch=sanitizer"
    fi
    cargo_env+=(RUSTC_BOOTSTRAP=1 RUSTFLAGS="$rustflags" CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
                "CFLAGS_${target//-/_}=-fsanitize=thread")
    cargo_args+=(--target "$target")
    lib="$out/cargo/$target/release/libota.a"
fi
echo "== tsan ($mode): cargo ${cargo_args[*]}"
timeout "$build_limit" env "${cargo_env[@]}" cargo "${cargo_args[@]}"
"$root/scripts/finish-archive.sh" "$lib" "$out/libota.a"

echo "== tsan ($mode): cc -fsanitize=thread"
objs=()
for src in "$here/tsan_ota.c" "$here/cloud.c" "$here/pal_ram.c" "$here/resume_ram.c" "$root/src/ffi/layout_guard.c"; do
    obj="$out/$(basename "$src" .c).o"
    timeout "$build_limit" cc -c -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=thread \
        -Wall -Wextra -Wpedantic -Werror \
        -I"$root/include" -I"$root/ports/posix" -I"$here" -I"$out/guard" "$src" -o "$obj"
    objs+=("$obj")
done
if [ "$mode" = c ]; then
    timeout "$build_limit" cc -fsanitize=thread "${objs[@]}" "$out/libota.a" -lpthread -lrt -o "$out/tsan_ota"
else
    # LLVM's instrumentation of the Rust side calls __tsan_memcpy and friends, which gcc's
    # libtsan lacks: link the runtime rustc ships (compiler-rt, serves gcc's calls too).
    rt="$(rustc --print sysroot)/lib/rustlib/$target/lib/librustc-stable_rt.tsan.a"
    timeout "$build_limit" cc "${objs[@]}" "$out/libota.a" -Wl,--whole-archive "$rt" -Wl,--no-whole-archive \
        -lpthread -lrt -ldl -lm -o "$out/tsan_ota"
fi

# OTA_TSAN_RUNS repeats the program (default once): a race shows only when its two accesses
# happen to overlap, so more runs find more. The first failing run stops the loop.
runs=${OTA_TSAN_RUNS:-1}
rc=0
reports=0
start=$(date +%s)
for (( run = 1; run <= runs; run++ )); do
    echo "== tsan ($mode): run $run/$runs (log: $out/stdout.log, reports: $out/stderr.log)"
    set +e
    TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
        timeout "$run_limit" "$out/tsan_ota" >"$out/stdout.log" 2>"$out/stderr.log"
    rc=$?
    set -e
    grep '^tsan_ota: \(====\|boot\|cloud\|PAL\|app\|resume\|CHECK\|PASSED\|FAILED\)' "$out/stdout.log" || true
    reports=$(grep -c 'WARNING: ThreadSanitizer' "$out/stderr.log" || true)
    if [ "$rc" -ne 0 ] || [ "$reports" -ne 0 ]; then
        break
    fi
done
echo "== tsan ($mode): exit $rc, $reports ThreadSanitizer report(s), $(( $(date +%s) - start )) s"

if [ "$mode" = c ]; then
    echo "== with the Rust side instrumented too (needs no nightly; RUSTC_BOOTSTRAP=1):"
    echo "   c_tests/tsan/run.sh --rust"
    echo "   # = RUSTC_BOOTSTRAP=1 RUSTFLAGS=-Zsanitizer=thread CFLAGS_${target//-/_}=-fsanitize=thread \\"
    echo "   #   OTA_CONFIG_DIR=c_tests/tsan cargo build --release --lib --target $target -Zbuild-std=core"
    echo "   #   (without rust-src: RUSTFLAGS+=' -Cunsafe-allow-abi-mismatch=sanitizer', no -Zbuild-std);"
    echo "   #   the C objects as above, linked with"
    echo "   #   \$(rustc --print sysroot)/lib/rustlib/$target/lib/librustc-stable_rt.tsan.a instead of gcc's libtsan"
fi

if [ "$rc" -ne 0 ] || [ "$reports" -ne 0 ]; then
    if [ "$reports" -ne 0 ]; then
        echo "== first ThreadSanitizer report:"
        sed -n '/WARNING: ThreadSanitizer/,/^SUMMARY/p' "$out/stderr.log" | head -120
    else
        tail -40 "$out/stderr.log"
        tail -40 "$out/stdout.log"
    fi
    echo "tsan ($mode): FAILED" >&2
    exit 1
fi
echo "tsan ($mode): passed"
