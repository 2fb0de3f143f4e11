#!/usr/bin/env bash
# libota.a with an ota_config.h whose log macros paste text onto a literal format
# (c_tests/logging_literal): it must build, and its records must arrive whole.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=c_tests/logging_literal
out=build/logging_literal
mkdir -p "$out"
OTA_CONFIG_DIR="$PWD/$dir" CARGO_TARGET_DIR="$PWD/target/logging_literal" cargo build --release --quiet --lib
scripts/finish-archive.sh target/logging_literal/release/libota.a "$out/libota.a"
cc -std=c11 -Wall -Werror -Iinclude -I"$dir" "$dir/check.c" "$out/libota.a" -lpthread -o "$out/check"
"$out/check" > "$out/got.txt"
expected='[E] OTA_Init: the interface table is NULL
[W] Event 0 dropped: the OTA agent is stopped'
if [ "$(cat "$out/got.txt")" != "$expected" ]; then
    printf 'check-literal-logs: expected\n%s\ngot\n' "$expected" >&2
    cat "$out/got.txt" >&2
    exit 1
fi
echo "check-literal-logs: records arrive whole through macros that need literal formats"
