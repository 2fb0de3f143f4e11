#!/usr/bin/env bash
# Prints the folder of the FreeRTOS-Kernel sources (V11.2.0), fetched by cargo as part of the
# crates.io package freertos-next (ports/freertos/kernel/Cargo.toml). Nothing else is fetched.
set -euo pipefail
manifest="$(cd "$(dirname "$0")/.." && pwd)/ports/freertos/kernel/Cargo.toml"
cargo fetch --quiet --manifest-path "$manifest"
pkg=$(cargo metadata --quiet --format-version 1 --manifest-path "$manifest" |
    grep -o '"manifest_path":"[^"]*/freertos-next-[^"/]*/Cargo.toml"' | head -1 |
    sed 's/^"manifest_path":"//; s|/Cargo.toml"$||')
dir="$pkg/FreeRTOS-Kernel"
[ -f "$dir/tasks.c" ] || { echo "freertos-kernel: no tasks.c in $dir" >&2; exit 1; }
echo "$dir"
