#!/usr/bin/env bash
# Where the bytes that libota.a adds to a firmware go, by module: every sized symbol of the
# linked firmware that the same firmware without the library lacks, grouped by Rust module
# (v2.0.0 C exports count as `ffi`, C library routines the library pulls in as `libc`).
# With --by-object, every input section the linker kept, grouped by the object file it came
# from (a C library's ota.o, core_json.o, ...), read from the linker maps beside the ELFs
# (<name>.map for <name>.elf, from -Wl,-Map=); libc and libgcc members count as one group.
#   scripts/size-by-module.sh <firmware without libota.elf> <firmware with libota.elf>
#   scripts/size-by-module.sh --by-object <firmware without the library.elf> <firmware with it.elf>
set -euo pipefail
mode=module
if [ "${1:-}" = --by-object ]; then mode=object; shift; fi
bare=${1:?usage: size-by-module.sh [--by-object] <bare.elf> <with-ota.elf>}
ota=${2:?usage: size-by-module.sh [--by-object] <bare.elf> <with-ota.elf>}
nm=${NM:-arm-none-eabi-nm}
readelf=${READELF:-arm-none-eabi-readelf}
# Scratch files of our own, so that two runs on the same firmware cannot clobber each other.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Bytes per object group of one linked firmware, times a sign, as group|flash|ram lines.
by_object() {
    local elf=$1 sign=$2 map="${1%.elf}.map"
    # readelf first, so the map's output sections are classed as size(1) does: flash, data, RAM.
    { "$readelf" -SW "$elf" | sed -n 's/^ *\[ *[0-9]*\] *//p' | awk '$7 ~ /A/ { print "SECTION", $1, ($7 !~ /W/) ? "text" : ($2 == "NOBITS") ? "bss" : "data" }'
      cat "$map"; } | awk -v sign="$sign" '
        function hex(s,    i, v) { v = 0; s = tolower(substr(s, 3))
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v }
        function add(size, file,    a, g) {
            if (!(out in class) || size == 0) return
            if (match(file, /\([^()]*\)$/)) {
                a = substr(file, 1, RSTART - 1); sub(/.*\//, "", a)
                g = substr(file, RSTART + 1, RLENGTH - 2)
                if (a ~ /^lib(c|g|m|gcc|nosys|rdimon)(_nano)?\.a$/) g = "libc / libgcc (pulled in)"
            } else g = "firmware (stub, crt)"
            if (class[out] != "bss") flash[g] += size
            if (class[out] != "text") ram[g] += size
            groups[g] = 1 }
        $1 == "SECTION" { class[$2] = $3; next }
        /^Linker script and memory map/ { inmap = 1; next }
        !inmap { next }
        /^[^ ]/ { out = $1; pending = 0; next }
        # An input section: " name addr size file", or the name alone with the rest on the next line.
        NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/ && $1 != "*fill*" { f = $4; for (i = 5; i <= NF; i++) f = f " " $i; add(hex($3), f); pending = 0; next }
        pending && NF >= 3 && $1 ~ /^0x/ && $2 ~ /^0x/ { f = $3; for (i = 4; i <= NF; i++) f = f " " $i; add(hex($2), f); pending = 0; next }
        { pending = (NF == 1 && $1 ~ /^[.A-Za-z_]/) }
        END { for (g in groups) printf "%s|%d|%d\n", g, sign * flash[g], sign * ram[g] }'
}

if [ "$mode" = object ]; then
    for elf in "$bare" "$ota"; do
        [ -f "${elf%.elf}.map" ] || { echo "size-by-module: ${elf%.elf}.map is missing; link $elf with -Wl,-Map=${elf%.elf}.map" >&2; exit 1; }
    done
    { by_object "$bare" -1; by_object "$ota" 1; } |
        awk -F'|' '{ f[$1] += $2; r[$1] += $3 } END { for (g in f) if (f[g] || r[g]) printf "%s|%d|%d\n", g, f[g], r[g] }' |
        sort -t'|' -k2 -n -r > "$tmp/modules"
else
"$nm" -S -C "$bare" | awk 'NF >= 4 { print $4 }' | sort -u > "$tmp/bare-names"
"$nm" -S -C "$ota" | awk -v names="$tmp/bare-names" '
    function hex(s,    i, v) { v = 0; s = tolower(s)
        for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v }
    BEGIN { while ((getline n < names) > 0) base[n] = 1 }
    NF >= 4 {
        name = $4; for (i = 5; i <= NF; i++) name = name " " $i
        if (name in base) next
        size = hex($2); kind = tolower($3)
        if (name ~ /^ota::/) { split(name, p, "::"); mod = p[2] }
        # Methods and closures print as <ota::module::Type>::name: the module is the second part.
        else if (name ~ /^<ota::/) { split(substr(name, 2), p, "::"); mod = p[2] }
        else if (name ~ /^(OTA_|base64Decode|ota_rs_)/) mod = "ffi (C exports, shim)"
        else if (name ~ /^(core|<)/) mod = "core"
        else mod = "libc / libgcc (pulled in)"
        area = (kind == "b" || kind == "d") ? "ram" : "flash"
        if (kind == "d") flashd[mod] += size
        tot[mod, area] += size; mods[mod] = 1
    }
    END {
        for (m in mods) printf "%s|%d|%d\n", m, tot[m, "flash"] + flashd[m], tot[m, "ram"]
    }' | sort -t'|' -k2 -n -r > "$tmp/modules"
fi
# Object names run longer than module names (cborencoder_close_container_checked.o).
w=28
[ "$mode" = module ] || w=40
printf '%-*s %8s %8s\n' "$w" "$mode" flash RAM
while IFS='|' read -r mod flash ram; do
    printf '%-*s %8d %8d\n' "$w" "$mod" "$flash" "$ram"
done < "$tmp/modules"
size=${SIZE:-arm-none-eabi-size}
read -r t0 d0 b0 _ < <("$size" "$bare" | tail -1)
read -r t1 d1 b1 _ < <("$size" "$ota" | tail -1)
read -r sf sr < <(awk -F'|' '{ f += $2; r += $3 } END { print f + 0, r + 0 }' "$tmp/modules")
# By module, what no sized symbol covers; by object, only the linker's alignment fill is left.
rest="unnamed (constants, padding)"
[ "$mode" = module ] || rest="padding (alignment fill)"
printf '%-*s %8d %8d\n' "$w" "$rest" $(( t1 + d1 - t0 - d0 - sf )) $(( d1 + b1 - d0 - b0 - sr ))
printf '%-*s %8d %8d\n' "$w" total $(( t1 + d1 - t0 - d0 )) $(( d1 + b1 - d0 - b0 ))
