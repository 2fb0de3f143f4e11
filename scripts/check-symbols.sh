#!/usr/bin/env bash
# Fails when an archive defines a global or weak symbol outside c_tests/symbols/allowed.txt.
# Reads every member with readelf -sW (binutils' nm prints "no symbols" for some Rust objects).
#   scripts/check-symbols.sh <libota.a>
set -euo pipefail
archive=${1:?usage: check-symbols.sh <libota.a>}
allowed="$(dirname "$0")/../c_tests/symbols/allowed.txt"
mapfile -t patterns < <(grep -v '^#' "$allowed" | grep -v '^$')

defined=$(readelf -sW "$archive" |
    awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" && $8 != "" { print $8 }' | sort -u)
[ -n "$defined" ] || { echo "check-symbols: $archive defines no symbols at all" >&2; exit 1; }
bad=0
while IFS= read -r sym; do
    ok=0
    for p in "${patterns[@]}"; do
        # shellcheck disable=SC2053 # the allow list holds shell patterns
        if [[ $sym == $p ]]; then ok=1; break; fi
    done
    if [ $ok = 0 ]; then
        echo "check-symbols: $archive defines $sym, which is not ours to define" >&2
        bad=$((bad + 1))
    fi
done <<< "$defined"
if [ $bad -gt 0 ]; then
    echo "check-symbols: $bad symbol(s) outside c_tests/symbols/allowed.txt in $archive" >&2
    exit 1
fi
echo "check-symbols: $(wc -l <<< "$defined") symbols, all allowed ($archive)"
