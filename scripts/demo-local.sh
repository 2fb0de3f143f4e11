#!/usr/bin/env bash
# A complete OTA update, end to end, on a built-in default: the C example in examples/ota_demo
# linked against libota.a, talking to an in-process simulated AWS IoT.
#
#   scripts/demo-local.sh
#
# 1. checks the tools (runs scripts/deps.sh when one is missing: it installs them as root, or
#    says what to install);
# 2. builds libota.a (with the POSIX PAL) and the example with CMake in build/examples: two
#    firmware builds of the same program, ota_demo_v1 (v1.0.0) and ota_demo_v2 (v1.1.0);
# 3. in a fresh folder, plays the code-signing service with the openssl command line: a new
#    P-256 key and self-signed certificate (provisioned on the device), and the update, which is
#    the ota_demo_v2 program itself, signed with ECDSA/SHA-256. No key material is kept;
# 4. boots the device as v1: it gets the job, downloads the update over the MQTT stream, the
#    PAL verifies the signature, the app activates it and restarts into the downloaded file (v2),
#    which runs its self test and accepts the image; the cloud records the job as SUCCEEDED.
#
# Exit status 0 only if all of that happened; non-zero otherwise, with the demo's folder kept
# for inspection. Environment:
#   OTA_DEMO_TIMEOUT   seconds for the whole update (default 60)
#   OTA_DEMO_KEEP=1    keep the demo's folder after a successful run too
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/examples"
timeout_s=${OTA_DEMO_TIMEOUT:-60}

say() { printf 'demo.sh: %s\n' "$*"; }
fail() {
    printf 'demo.sh: %s\n' "$*" >&2
    echo "OTA demo: FAILED" >&2
    exit 1
}

case "$timeout_s" in
    '' | *[!0-9]*) fail "OTA_DEMO_TIMEOUT must be a number of seconds" ;;
esac

# ---------------------------------------------------------------------------- tools --

have_libclang() {
    [ -n "${LIBCLANG_PATH:-}" ] ||
        ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1
}
missing=()
for tool in cargo cc cmake openssl; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
have_libclang || missing+=(libclang)
if [ ${#missing[@]} -gt 0 ]; then
    say "missing: ${missing[*]}; running scripts/deps.sh"
    "$root/scripts/deps.sh" || fail "install the tools above, then run $0 again"
fi
command -v cargo >/dev/null 2>&1 || fail "cargo not found: install Rust (https://rustup.rs)"
command -v cc >/dev/null 2>&1 || fail "cc not found: install gcc (apt-get install gcc)"

# ---------------------------------------------------------------------------- build --

mkdir -p "$build"
say "building libota.a and examples/ in ${build#"$root"/} (log: ${build#"$root"/}/build.log)"
if ! { cmake -S "$root/examples" -B "$build" -DCMAKE_BUILD_TYPE=Release &&
       cmake --build "$build" --parallel "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"; } \
       >"$build/build.log" 2>&1; then
    tail -n 30 "$build/build.log" >&2
    fail "the build failed (full log: $build/build.log)"
fi

# ------------------------------------------------------------ keys, image, signature --

# Inside the build folder rather than /tmp: the device executes the image it downloads, and /tmp
# may be mounted noexec.
dir=$(mktemp -d "$build/run.XXXXXX")
keep=${OTA_DEMO_KEEP:-0}
cleanup() {
    local status=$?
    if [ "$status" -eq 0 ] && [ "$keep" != 1 ]; then
        rm -rf "$dir"
    else
        say "the demo's files are in $dir"
    fi
}
trap cleanup EXIT
mkdir -p "$dir/cloud" "$dir/device" "$dir/trust" "$dir/signer"

say "code signing: new P-256 key and certificate, update = ota_demo_v2 signed with ECDSA/SHA-256"
{
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/signer/signer.key" &&
    openssl req -new -x509 -key "$dir/signer/signer.key" -subj "/CN=ota-demo code signer" \
        -days 1 -out "$dir/trust/signer.pem" &&
    cp "$build/ota_demo_v2" "$dir/cloud/firmware.bin" &&
    openssl dgst -sha256 -sign "$dir/signer/signer.key" -out "$dir/cloud/firmware.sig" \
        "$dir/cloud/firmware.bin"
} >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; fail "openssl failed"; }
# Only the certificate goes to the device; the private key is not needed any more.
rm -rf "$dir/signer"

# -------------------------------------------------------------------------- run it --

say "booting the device with firmware v1.0.0 (ota_demo_v1), time limit ${timeout_s} s"
echo
status=0
# The program keeps its own time limit across its restart; `timeout` is only a backstop.
timeout --kill-after=5 "$((timeout_s + 15))" \
    "$build/ota_demo_v1" --dir "$dir" --timeout "$timeout_s" || status=$?
echo

[ "$status" -eq 0 ] || fail "the device program exited with status $status"
grep -qx 'status=SUCCEEDED' "$dir/cloud/job-state.txt" ||
    fail "the cloud did not record the job as SUCCEEDED"
cmp -s "$dir/cloud/firmware.bin" "$dir/device/firmware.bin" ||
    fail "the installed image differs from the update"

echo "OTA demo: update installed and accepted"
