#!/usr/bin/env bash
# Cortex-M checks: libota.a for the five thumb targets (cargo, v2.0.0 defaults, logging off),
# each archive finished and its symbols checked, then the Cortex-M4 firmware stub linked with
# and without the library against the size budget in c_tests/firmware_size/budget.txt.
#   scripts/thumb.sh            # all of it
#   OTA_THUMB_TARGETS="thumbv7em-none-eabi" scripts/thumb.sh
#   OTA_UPSTREAM_DIR=/path/to/v2.0.0-checkout scripts/thumb.sh   # also the C library on the stub
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
targets=${OTA_THUMB_TARGETS:-thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf}
out="$root/build/thumb"
mkdir -p "$out"

for t in $targets; do
    echo "== $t"
    env -u OTA_CONFIG_DIR scripts/cargo-target.sh "$t" build --release --quiet --lib
    scripts/finish-archive.sh "target/$t/release/libota.a" "$out/libota-$t.a" arm-none-eabi-ar
    scripts/check-symbols.sh "$out/libota-$t.a"
done

case " $targets " in *" thumbv7em-none-eabi "*) ;; *) exit 0 ;; esac

echo "== no core::fmt in libota.a with logging on (thumbv7em-none-eabi, c_tests/logging_on)"
OTA_CONFIG_DIR="$root/c_tests/logging_on" scripts/cargo-target.sh thumbv7em-none-eabi build --release --quiet --lib
scripts/check-no-fmt.sh target/thumbv7em-none-eabi/release/libota.a
echo "== log macros that need literal formats (c_tests/logging_literal): the shim formats, still no core::fmt"
OTA_CONFIG_DIR="$root/c_tests/logging_literal" scripts/cargo-target.sh thumbv7em-none-eabi build --release --quiet --lib
scripts/check-no-fmt.sh target/thumbv7em-none-eabi/release/libota.a

echo "== CMake: a Cortex-M4 firmware with add_subdirectory(ota-rs) and an arm-none-eabi toolchain file"
consumer=(-S c_tests/cortex_m -DCMAKE_TOOLCHAIN_FILE="$root/c_tests/cortex_m/arm-none-eabi.cmake"
          -DOTA_CARGO_TARGET_DIR="$out/cmake-cargo" -DCMAKE_BUILD_TYPE=Release)
cmake "${consumer[@]}" -B "$out/cmake" > "$out/cmake-configure.log"
cmake --build "$out/cmake" -j2 >/dev/null 2>"$out/cmake.log" || { cat "$out/cmake.log" >&2; exit 1; }
scripts/check-symbols.sh "$out/cmake/ota-rs/libota.a"
file "$out/cmake/firmware.elf" | grep -q "ARM" || { echo "thumb: firmware.elf is not an ARM ELF" >&2; exit 1; }
rust_target=$(sed -n 's/^-- ota-rs: Rust target \([^ ]*\) .*/\1/p' "$out/cmake-configure.log")
[ "$rust_target" = thumbv7em-none-eabi ] ||
    { echo "thumb: -mcpu=cortex-m4 -mfloat-abi=soft mapped to '$rust_target'" >&2; exit 1; }
echo "firmware.elf linked, Rust target $rust_target from the toolchain file's flags"

echo "== layout guard: the firmware compiled with -fno-short-enums, libota.a without, must not build"
cmake "${consumer[@]}" -B "$out/cmake-mismatch" -DFIRMWARE_EXTRA_FLAGS=-fno-short-enums >/dev/null
if cmake --build "$out/cmake-mismatch" -j2 > "$out/mismatch.log" 2>&1; then
    echo "thumb: a firmware with other enum sizes than libota.a built without complaint" >&2
    exit 1
fi
grep -m1 -o 'ota-rs layout guard: [^"]*' "$out/mismatch.log" ||
    { cat "$out/mismatch.log" >&2; echo "thumb: the mismatched build failed, but not at the layout guard" >&2; exit 1; }

echo "== CMake: a CPU that has no Rust target stops with one sentence naming OTA_RUST_TARGET"
if cmake "${consumer[@]}" -B "$out/cmake-a53" -DFIRMWARE_CPU=cortex-a53 > "$out/a53.log" 2>&1; then
    echo "thumb: CMake accepted -mcpu=cortex-a53 without OTA_RUST_TARGET" >&2
    exit 1
fi
grep -q "set OTA_RUST_TARGET" "$out/a53.log" ||
    { cat "$out/a53.log" >&2; echo "thumb: the unmapped CPU did not name OTA_RUST_TARGET" >&2; exit 1; }
echo "== Cortex-M4 firmware stub: what libota.a adds (-Os, --gc-sections, newlib-nano)"
cflags=(-mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections -std=c11
        -DOTA_DO_NOT_USE_CUSTOM_CONFIG -Iinclude)
ldflags=(--specs=nano.specs --specs=nosys.specs -Wl,--gc-sections)
stub=c_tests/firmware_size/stub.c
# The bare map lets size-by-module.sh --by-object subtract what the stub itself links.
arm-none-eabi-gcc "${cflags[@]}" "$stub" "${ldflags[@]}" -Wl,-Map="$out/stub-bare.map" -o "$out/stub-bare.elf"
arm-none-eabi-gcc "${cflags[@]}" -DWITH_OTA "$stub" "$out/libota-thumbv7em-none-eabi.a" \
    "${ldflags[@]}" -Wl,-Map="$out/stub-ota.map" -o "$out/stub-ota.elf" 2> "$out/stub-ota.log"
# The toolchain's own crt objects draw linker warnings; none may come from libota.a.
if grep -i "libota" "$out/stub-ota.log"; then
    echo "thumb: linking libota.a into the firmware stub drew the warnings above" >&2
    exit 1
fi
arm-none-eabi-gcc "${cflags[@]}" -DWITH_OTA -DWITH_OTA_RESUME "$stub" "$out/libota-thumbv7em-none-eabi.a" \
    "${ldflags[@]}" -o "$out/stub-resume.elf" 2> "$out/stub-resume.log"
read -r t0 d0 b0 _ < <(arm-none-eabi-size "$out/stub-bare.elf" | tail -1)
read -r t1 d1 b1 _ < <(arm-none-eabi-size "$out/stub-ota.elf" | tail -1)
read -r t3 d3 b3 _ < <(arm-none-eabi-size "$out/stub-resume.elf" | tail -1)
flash=$(( (t1 + d1) - (t0 + d0) ))
ram=$(( (d1 + b1) - (d0 + b0) ))
budget_flash=$(awk '$1 == "flash" { print $2 }' c_tests/firmware_size/budget.txt)
budget_ram=$(awk '$1 == "ram" { print $2 }' c_tests/firmware_size/budget.txt)
scripts/size-by-module.sh "$out/stub-bare.elf" "$out/stub-ota.elf"
echo "libota.a adds flash $flash B (budget $budget_flash), RAM $ram B (budget $budget_ram)"
echo "the resume extension (OTA_EXT_SetResume linked) adds flash $(( (t3 + d3) - (t1 + d1) )) B, RAM $(( (d3 + b3) - (d1 + b1) )) B more"
if [ -n "${OTA_UPSTREAM_DIR:-}" ]; then
    echo "== Cortex-M4 firmware stub: what the C library v2.0.0 (coreJSON, tinycbor) adds, built the same way"
    # NDEBUG as in any release build: newlib-nano's __assert_func would add fiprintf's 7 KB of stdio.
    scripts/upstream-c-thumb.sh "$out/upstream-c" c_tests/firmware_size -DNDEBUG
    # The stub against upstream's own headers, so each entry point must be declared there too.
    ccflags=("${cflags[@]/#-Iinclude/-I$OTA_UPSTREAM_DIR/source/include}" -Werror=implicit-function-declaration)
    arm-none-eabi-gcc "${ccflags[@]}" -DWITH_OTA "$stub" "$out/upstream-c/libota_c.a" \
        "${ldflags[@]}" -Wl,-Map="$out/stub-c.map" -o "$out/stub-c.elf" 2> "$out/stub-c.log" ||
        { cat "$out/stub-c.log" >&2; echo "thumb: the stub does not link with the C library" >&2; exit 1; }
    # A linked stub could still take an entry point from libc; each must come from libota_c.a.
    defined=$(arm-none-eabi-nm --defined-only "$out/upstream-c/libota_c.a" | awk 'NF == 3 && $2 ~ /[TDRB]/ { print $3 }')
    for sym in $(grep -o '( const void \* ) [A-Za-z0-9_]*' "$stub" | awk '{ print $NF }'); do
        case $sym in OTA_EXT_*) continue ;; esac   # ota-rs extensions: not in v2.0.0
        grep -qx "$sym" <<< "$defined" || { echo "thumb: the C library v2.0.0 has no $sym" >&2; exit 1; }
    done
    scripts/size-by-module.sh --by-object "$out/stub-bare.elf" "$out/stub-c.elf"
    read -r t2 d2 b2 _ < <(arm-none-eabi-size "$out/stub-c.elf" | tail -1)
    c_flash=$(( (t2 + d2) - (t0 + d0) ))
    c_ram=$(( (d2 + b2) - (d0 + b0) ))
    printf '%-28s %8s %8s\n' "added to the stub" flash RAM
    printf '%-28s %8d %8d\n' "libota.a (Rust)" "$flash" "$ram" "libota_c.a (C v2.0.0)" "$c_flash" "$c_ram"
    awk -v f="$flash" -v r="$ram" -v cf="$c_flash" -v cr="$c_ram" \
        'BEGIN { printf "%-28s %8.2f %8.2f\n", "ours / C", f / cf, r / cr }'
fi
if [ "$flash" -gt "$budget_flash" ] || [ "$ram" -gt "$budget_ram" ]; then
    echo "thumb: the Cortex-M4 size grew past c_tests/firmware_size/budget.txt" >&2
    exit 1
fi
