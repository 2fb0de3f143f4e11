#!/usr/bin/env bash
# Makes the libota.a that firmware links from the one cargo writes: keeps only the library's
# own members (the LTO'd Rust object and the C shims) and drops Rust's compiler_builtins, whose
# weak memcpy, strlen, sqrt, ... would otherwise replace the firmware's libc and libm routines.
# Our objects need only libc and libgcc (checked by scripts/check-symbols.sh and the links).
#   scripts/finish-archive.sh <cargo's libota.a> <output libota.a> [ar]
set -euo pipefail
in=${1:?usage: finish-archive.sh <in.a> <out.a> [ar]}
out=${2:?usage: finish-archive.sh <in.a> <out.a> [ar]}
ar=${3:-${AR:-ar}}

tmp="$out.tmp"
cp "$in" "$tmp"
drop=()
while IFS= read -r member; do
    case "$member" in
        ota-*.o | *-shim.o | *-ota_os_posix_weak.o | *-ota_pal_posix_key.o) ;;
        *) drop+=("$member") ;;
    esac
done < <("$ar" t "$in")
if [ ${#drop[@]} -gt 0 ]; then
    "$ar" d "$tmp" "${drop[@]}"
fi
"$ar" s "$tmp"
mv "$tmp" "$out"
