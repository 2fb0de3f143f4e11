#!/bin/sh
# Build and run the upstream OTA v2.0.0 unit tests against libota.a.
#
#   OTA_UPSTREAM_DIR=/path/to/ota-for-aws-iot-embedded-sdk scripts/run-upstream-tests.sh [cmake -D options]
#
# OTA_UPSTREAM_DIR is the user's own checkout of aws/ota-for-aws-iot-embedded-sdk
# at v2.0.0, with submodules (Unity, tinycbor, coreJSON). It is used in place;
# nothing is copied or downloaded.
#
# Steps:
#   1. build libota.a with the tests' ota_config.h and the upstream headers,
#      in target/upstream so the normal build is left alone
#      (skipped when OTA_LIB names an existing archive to test instead);
#   2. configure c_tests/upstream (Unity runners are generated there, no Ruby);
#   3. build each test program; one that does not build counts all its tests
#      as failed;
#   4. run each, print Unity's counts per file and a last line
#      "N passed, N failed" over individual Unity test cases.
#
# Exit status: 0 when every test built and passed, 1 when any failed or did
# not build, 2 when the setup is wrong or libota.a did not build.
#
# Environment:
#   OTA_UPSTREAM_DIR           the checkout (required)
#   OTA_LIB                    test this libota.a instead of building one
#   OTA_UPSTREAM_BUILD_DIR     CMake build folder (default: build/upstream)
#   OTA_UPSTREAM_TEST_TIMEOUT  seconds per test program (default: 900)
#   OTA_UPSTREAM_JOBS          parallel compile jobs (default: number of CPUs)
# Arguments are passed to the CMake configure step, for example
#   -DOTA_UPSTREAM_SANITIZERS=ON
#   -DOTA_UPSTREAM_TESTS="ota_utest.c;ota_base64_utest.c"

set -u

die() {
    echo "run-upstream-tests: error: $*" >&2
    exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd) || die "cannot find the repository root"

if [ -z "${OTA_UPSTREAM_DIR:-}" ]; then
    die "OTA_UPSTREAM_DIR is not set. Point it at your checkout of
  aws/ota-for-aws-iot-embedded-sdk at tag v2.0.0 with its submodules
  (git submodule update --init --recursive), e.g.
    OTA_UPSTREAM_DIR=\$HOME/src/ota-for-aws-iot-embedded-sdk $0"
fi
[ -d "$OTA_UPSTREAM_DIR" ] || die "OTA_UPSTREAM_DIR=$OTA_UPSTREAM_DIR is not a directory"
upstream=$(cd "$OTA_UPSTREAM_DIR" && pwd)

if [ ! -f "$upstream/source/include/ota.h" ] || [ ! -f "$upstream/test/unit-test/ota_config.h" ]; then
    die "$upstream does not look like an ota-for-aws-iot-embedded-sdk checkout
  (no source/include/ota.h or test/unit-test/ota_config.h)"
fi
for needed in \
    test/unit-test/CMock/vendor/unity/src/unity.c \
    source/dependency/3rdparty/tinycbor/src/cbor.h \
    source/dependency/coreJSON/source/core_json.c
do
    [ -f "$upstream/$needed" ] || die "$upstream/$needed is missing: the checkout lacks its submodules
  (Unity comes with test/unit-test/CMock). Run
    git -C $upstream submodule update --init --recursive"
done

command -v cmake >/dev/null 2>&1 || die "cmake is not installed"

build_dir=${OTA_UPSTREAM_BUILD_DIR:-$root/build/upstream}
timeout_s=${OTA_UPSTREAM_TEST_TIMEOUT:-900}
jobs=${OTA_UPSTREAM_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}

# ---------------------------------------------------------------- libota.a --

if [ -n "${OTA_LIB:-}" ]; then
    [ -f "$OTA_LIB" ] || die "OTA_LIB=$OTA_LIB does not exist"
    lib=$(cd "$(dirname "$OTA_LIB")" && pwd)/$(basename "$OTA_LIB")
    echo "== testing $lib"
else
    command -v cargo >/dev/null 2>&1 || die "cargo is not installed"
    echo "== building libota.a with $upstream/test/unit-test/ota_config.h"
    (
        cd "$root" &&
        OTA_CONFIG_DIR="$upstream/test/unit-test" \
        OTA_HEADERS_DIR="$upstream/source/include" \
        cargo build --release --target-dir target/upstream
    ) || die "cargo build of libota.a failed"
    lib=$root/target/upstream/release/libota.a
    [ -f "$lib" ] || die "cargo build succeeded but $lib is missing"
fi

# ---------------------------------------------------------------- configure --

mkdir -p "$build_dir/logs" || die "cannot create $build_dir"
echo "== configuring $build_dir"
if ! cmake -S "$root/c_tests/upstream" -B "$build_dir" \
        -DOTA_UPSTREAM_DIR="$upstream" -DOTA_LIB="$lib" "$@" \
        >"$build_dir/logs/configure.log" 2>&1; then
    cat "$build_dir/logs/configure.log" >&2
    die "CMake configure failed (log: $build_dir/logs/configure.log)"
fi
grep -i 'warning' -A4 "$build_dir/logs/configure.log" | sed 's/^/   /'

manifest=$build_dir/upstream-tests.txt
[ -f "$manifest" ] || die "configure did not write $manifest"

support_ok=1
for target in ota_upstream_unity ota_upstream_support; do
    if ! cmake --build "$build_dir" --target "$target" --parallel "$jobs" \
            >"$build_dir/logs/$target.build.log" 2>&1; then
        echo "!! $target did not build (log: $build_dir/logs/$target.build.log)"
        tail -n 20 "$build_dir/logs/$target.build.log" | sed 's/^/   /'
        support_ok=0
    fi
done

# ------------------------------------------------------------ build and run --

have_timeout=0
command -v timeout >/dev/null 2>&1 && have_timeout=1

total_pass=0
total_fail=0
bad=0
tab=$(printf '\t')

echo "== running"
while IFS="$tab" read -r name count bin src; do
    case $name in ''|'#'*) continue ;; esac

    build_log=$build_dir/logs/$name.build.log
    if [ "$support_ok" -ne 1 ] ||
       ! cmake --build "$build_dir" --target "$name" --parallel "$jobs" >"$build_log" 2>&1; then
        echo "$name: DID NOT BUILD, $count tests counted as failed (log: $build_log)"
        grep -E 'error|undefined reference|multiple definition' "$build_log" | head -n 15 | sed 's/^/   /'
        total_fail=$((total_fail + count))
        bad=1
        continue
    fi

    log=$build_dir/logs/$name.log
    if [ "$have_timeout" -eq 1 ]; then
        (cd "$build_dir" && timeout "$timeout_s" "$bin"; exit $?) >"$log" 2>&1
    else
        (cd "$build_dir" && "$bin"; exit $?) >"$log" 2>&1
    fi
    rc=$?

    summary=$(grep -E '^[0-9]+ Tests [0-9]+ Failures [0-9]+ Ignored' "$log" | tail -n 1)
    summary=$(printf "%s" "$summary" | sed "s/[[:space:]]*$//")
    if [ -n "$summary" ]; then
        set -- $summary
        n=$1 f=$3 i=$5
        p=$((n - f - i))
        note=""
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            # All tests passed but the program did not exit cleanly
            # (a sanitizer report at exit, for instance): one more failure.
            f=1
            note=" -- but exited with status $rc after its tests"
        fi
        echo "$name: $summary$note"
    else
        # No summary: crashed or timed out. Count what it reported; the
        # rest of the file's tests did not pass.
        p=$(grep -c ':PASS$' "$log")
        i=$(grep -c ':IGNORE' "$log")
        f=$(grep -c ':FAIL' "$log")
        rest=$((count - p - i - f))
        [ "$rest" -lt 1 ] && rest=1
        f=$((f + rest))
        if [ "$rc" -eq 124 ] && [ "$have_timeout" -eq 1 ]; then
            what="timed out after ${timeout_s}s"
        else
            what="exited with status $rc without a Unity summary"
        fi
        echo "$name: $what; $p passed, $f failed or did not run (log: $log)"
        grep -v ':FAIL' "$log" | tail -n 5 | sed 's/^/   /'
        bad=1
    fi
    grep ':FAIL' "$log" | head -n 20 | sed 's/^/   /'
    [ "$f" -gt 0 ] && bad=1
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
done <"$manifest"

echo "$total_pass passed, $total_fail failed"
[ "$bad" -eq 0 ] && [ "$total_fail" -eq 0 ] || exit 1
exit 0
