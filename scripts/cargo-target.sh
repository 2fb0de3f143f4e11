#!/usr/bin/env bash
# cargo for a Cortex-M target with whichever Rust is here: a rustup toolchain that has the
# target installed, else Debian's rustc-web/cargo-web/rust-web-src (core built from source).
#   scripts/cargo-target.sh <target> build --release ...
# Prints the command it runs on stderr when OTA_VERBOSE is set.
set -euo pipefail
target=${1:?usage: cargo-target.sh <rust-target> <cargo args...>}
shift

if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    exec cargo "$@" --target "$target"
fi
if [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] && [ -d /usr/lib/rustlib/src/rust/library/core ]; then
    # Build core from source; RUSTC_BOOTSTRAP unlocks -Zbuild-std on this stable toolchain.
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 exec /usr/bin/cargo "$@" --target "$target" -Zbuild-std=core
fi
echo "cargo-target: no Rust toolchain for $target. Either 'rustup target add $target', or on Debian" \
     "'apt-get install rustc-web cargo-web rust-web-src'" >&2
exit 1
