#!/usr/bin/env bash
# Builds the C library v2.0.0 (with coreJSON and tinycbor) for Cortex-M4 from the checkout in
# OTA_UPSTREAM_DIR into <out-dir>/libota_c.a, the way libota.a is built: -Os, one section per
# function and object, compiled against <ota_config-dir>/ota_config.h. Reads the checkout only.
#   OTA_UPSTREAM_DIR=/path/to/checkout scripts/upstream-c-thumb.sh <out-dir> <ota_config-dir> [extra CFLAGS...]
set -euo pipefail
out=${1:?usage: upstream-c-thumb.sh <out-dir> <ota_config-dir> [extra CFLAGS...]}
config=${2:?usage: upstream-c-thumb.sh <out-dir> <ota_config-dir> [extra CFLAGS...]}
shift 2
fail() { echo "upstream-c-thumb: $*" >&2; exit 1; }

up=${OTA_UPSTREAM_DIR:-}
[ -n "$up" ] || fail "OTA_UPSTREAM_DIR is not set; point it at a checkout of aws/ota-for-aws-iot-embedded-sdk v2.0.0 with submodules."
src="$up/source"
json="$src/dependency/coreJSON/source"
cbor="$src/dependency/3rdparty/tinycbor/src"
[ -f "$src/ota.c" ] && [ -f "$src/include/ota.h" ] ||
    fail "OTA_UPSTREAM_DIR=$up has no source/ota.c or source/include/ota.h, so it is not an ota-for-aws-iot-embedded-sdk checkout."
[ -f "$json/core_json.c" ] && [ -f "$cbor/cborparser.c" ] ||
    fail "OTA_UPSTREAM_DIR=$up lacks its submodules source/dependency/coreJSON and source/dependency/3rdparty/tinycbor (run git -C $up submodule update --init --recursive)."
[ -f "$config/ota_config.h" ] || fail "$config has no ota_config.h; pass the folder that holds the ota_config.h to build against."
config=$(cd "$config" && pwd)
cc=${CC_ARM:-arm-none-eabi-gcc}
ar=${AR_ARM:-arm-none-eabi-ar}

# The agent, both data backends (the stub keeps their strerror and CBOR entry points) and coreJSON.
sources=("$src/ota.c" "$src/ota_interface.c" "$src/ota_base64.c" "$src/ota_cbor.c"
         "$src/ota_mqtt.c" "$src/ota_http.c" "$json/core_json.c")
# tinycbor as otaFilePaths.cmake lists it, minus the pretty printers (stdio; ota_cbor.c uses none).
sources+=("$cbor/cborencoder.c" "$cbor/cborencoder_close_container_checked.c"
          "$cbor/cborerrorstrings.c" "$cbor/cborparser.c" "$cbor/cborparser_dup_string.c")
# gnu11, not c11: a firmware's ota_config.h may use POSIX calls (examples/config's flockfile).
# The config dir comes first so that headers beside its ota_config.h win over upstream's.
cflags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=soft -Os -ffunction-sections -fdata-sections
        -std=gnu11 -I"$config" -I"$src/include" -I"$src/portable" -I"$src" -I"$json/include"
        -I"$cbor" "$@")

objs="$out/libota_c-objs"
rm -rf "$objs"
mkdir -p "$objs"
for s in "${sources[@]}"; do
    o="$objs/$(basename "${s%.c}").o"
    "$cc" "${cflags[@]}" -c "$s" -o "$o" 2>> "$objs/warnings.log" ||
        { cat "$objs/warnings.log" >&2; fail "compiling $s failed."; }
done
rm -f "$out/libota_c.a"
"$ar" rcs "$out/libota_c.a" "$objs"/*.o

# A tinycbor or coreJSON routine missing from the archive would otherwise show only at a firmware's link.
nm=${NM_ARM:-arm-none-eabi-nm}
missing=$(comm -23 <("$nm" -u "$out/libota_c.a" | awk 'NF == 2 { print $2 }' | sort -u) \
                   <("$nm" --defined-only "$out/libota_c.a" | awk 'NF == 3 { print $3 }' | sort -u) |
          grep -E '^_?(cbor|JSON_)' || true)
[ -z "$missing" ] || fail "libota_c.a calls $(echo "$missing" | tr '\n' ' ')but defines none of them."
echo "libota_c.a: $(ls "$objs"/*.o | wc -l) objects from $up, config $config"
