#!/usr/bin/env bash
# Where the bytes that libota.a adds to a firmware go, by module: every sized symbol of the
# linked firmware that the same firmware without the library lacks, grouped by Rust module
# (v2.0.0 C exports count as `ffi`, C library routines the library pulls in as `libc`).
#   scripts/size-by-module.sh <firmware without libota.elf> <firmware with libota.elf>
set -euo pipefail
bare=${1:?usage: size-by-module.sh <bare.elf> <with-ota.elf>}
ota=${2:?usage: size-by-module.sh <bare.elf> <with-ota.elf>}
nm=${NM:-arm-none-eabi-nm}
"$nm" -S -C "$bare" | awk 'NF >= 4 { print $4 }' | sort -u > "$ota.bare-names"
"$nm" -S -C "$ota" | awk -v names="$ota.bare-names" '
    function hex(s,    i, v) { v = 0; s = tolower(s)
        for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v }
    BEGIN { while ((getline n < names) > 0) base[n] = 1 }
    NF >= 4 {
        name = $4; for (i = 5; i <= NF; i++) name = name " " $i
        if (name in base) next
        size = hex($2); kind = tolower($3)
        if (name ~ /^ota::/) { split(name, p, "::"); mod = p[2] }
        else if (name ~ /^(OTA_|base64Decode|ota_rs_)/) mod = "ffi (C exports, shim)"
        else if (name ~ /^(core|<)/) mod = "core"
        else mod = "libc / libgcc (pulled in)"
        area = (kind == "b" || kind == "d") ? "ram" : "flash"
        if (kind == "d") flashd[mod] += size
        tot[mod, area] += size; mods[mod] = 1
    }
    END {
        for (m in mods) printf "%s|%d|%d\n", m, tot[m, "flash"] + flashd[m], tot[m, "ram"]
    }' | sort -t'|' -k2 -n -r > "$ota.modules"
printf '%-28s %8s %8s\n' module flash RAM
while IFS='|' read -r mod flash ram; do
    printf '%-28s %8d %8d\n' "$mod" "$flash" "$ram"
done < "$ota.modules"
size=${SIZE:-arm-none-eabi-size}
read -r t0 d0 b0 _ < <("$size" "$bare" | tail -1)
read -r t1 d1 b1 _ < <("$size" "$ota" | tail -1)
read -r sf sr < <(awk -F'|' '{ f += $2; r += $3 } END { print f + 0, r + 0 }' "$ota.modules")
printf '%-28s %8d %8d\n' "unnamed (constants, padding)" $(( t1 + d1 - t0 - d0 - sf )) $(( d1 + b1 - d0 - b0 - sr ))
printf '%-28s %8d %8d\n' total $(( t1 + d1 - t0 - d0 )) $(( d1 + b1 - d0 - b0 ))
rm -f "$ota.bare-names" "$ota.modules"
