#!/usr/bin/env bash
# Fails when the library's own Rust member of an archive (ota-*.o) defines or references any
# core::fmt symbol: log records are formatted by the application's printf, never by Rust.
#   scripts/check-no-fmt.sh <libota.a>
# It means something only for an archive built with logging on, e.g. for Cortex-M:
#   OTA_CONFIG_DIR=$PWD/c_tests/logging_on scripts/cargo-target.sh thumbv7em-none-eabi build --release --lib
#   scripts/check-no-fmt.sh target/thumbv7em-none-eabi/release/libota.a
set -euo pipefail
archive=$(realpath "${1:?usage: check-no-fmt.sh <libota.a>}")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t members < <(ar t "$archive" | grep '^ota-.*\.o$' || true)
[ ${#members[@]} -gt 0 ] || { echo "check-no-fmt: $archive has no ota-*.o member" >&2; exit 1; }
(cd "$tmp" && ar x "$archive" "${members[@]}")

bad=0
for m in "${members[@]}"; do
    # readelf, not nm: binutils' nm prints "no symbols" for some Rust objects (check-symbols.sh).
    hits=$(readelf -sW -C "$tmp/$m" | awk '$8 != "" { $1 = $2 = $3 = $4 = $5 = $6 = $7 = ""; print }' |
        grep 'core::fmt' || true)
    if [ -n "$hits" ]; then
        echo "check-no-fmt: $m has $(wc -l <<< "$hits") core::fmt symbol(s):" >&2
        sed 's/^ */  /' <<< "$hits" >&2
        bad=1
    fi
done
[ $bad = 0 ] || exit 1
echo "check-no-fmt: no core::fmt symbol in ${members[*]} ($archive)"
