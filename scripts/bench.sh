#!/usr/bin/env bash
# Benchmark (not a test): instructions per 4 KiB block and per job document, and code size, of
# libota.a -- and, given a checkout of the upstream C library, of v2.0.0 built the same way.
#
#   scripts/bench.sh                                        # ours only
#   OTA_UPSTREAM_DIR=/path/to/ota-for-aws-iot-embedded-sdk scripts/bench.sh
#   OTA_UPSTREAM_DIR=... scripts/bench.sh --profile         # also write callgrind profiles
#
# What it does (bench/README.md explains the method):
#   1. builds libota.a with the release profile for three configurations, each in its own
#      target folder so that later runs reuse the builds:
#        bench/config       v2.0.0 defaults: 4 KiB blocks, one block per request, MQTT data
#                           plane, logging off (target/bench);
#        bench/config4      the same with 4 blocks per stream request (target/bench-4);
#        bench/config-http  the same as bench/config with the HTTP data plane compiled in
#                           (target/bench-http);
#   2. with OTA_UPSTREAM_DIR: compiles the v2.0.0 C sources from that checkout (ota.c,
#      ota_interface.c, ota_base64.c, ota_mqtt.c, ota_http.c, ota_cbor.c, coreJSON, tinycbor)
#      with gcc -O2 and each config into build/bench/{c,c4,chttp}/libota_c.a -- in place,
#      nothing is copied or downloaded;
#   3. links bench/ingest_bench.c against each and runs it under valgrind's callgrind, which
#      counts executed instructions (the same on every run on a given machine): MQTT stream
#      updates with bench/config and bench/config4, an HTTP update (--plane http) with
#      bench/config-http;
#   4. prints the table: instructions per block, per job document, the 4 KiB memcpy baseline,
#      per block with 4 blocks per request and over HTTP, and text/data/bss of each library
#      built with bench/config (objects in the archive, and what a program that uses it links
#      in with --gc-sections).
#
# Environment:
#   OTA_UPSTREAM_DIR        the upstream v2.0.0 checkout with submodules (optional)
#   OTA_BENCH_DIR           work folder (default: build/bench)
#   OTA_BENCH_BLOCKS        blocks in the measured window (default: 256; a multiple of 4 for
#                           the 4-blocks-per-request rows to hold whole requests)
#   OTA_BENCH_FILE_BLOCKS   blocks in the file (default: 512; at most 1024)
#   OTA_BENCH_C_OPT         optimisation flag for the upstream C library (default: -O2)
#   CC                      C compiler (default: gcc)
#   CARGO_PROFILE_RELEASE_OPT_LEVEL  cargo's own override, to measure libota.a at another level
#
# Needs cargo, a C compiler, binutils (ar, size) and valgrind (Debian package `valgrind`, which
# also ships valgrind/callgrind.h); installs valgrind when run as root on Debian/Ubuntu.
set -euo pipefail
# Failures inside $(...) (a missing window in a callgrind dump, say) stop the script too.
shopt -s inherit_errexit

die() {
    echo "bench: error: $*" >&2
    exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"

profile=0
for arg in "$@"; do
    case $arg in
        --profile) profile=1 ;;
        -h|--help) sed -n '2,41p' "$0"; exit 0 ;;
        *) die "unknown argument $arg (see --help)" ;;
    esac
done

out=${OTA_BENCH_DIR:-$root/build/bench}
blocks=${OTA_BENCH_BLOCKS:-256}
file_blocks=${OTA_BENCH_FILE_BLOCKS:-512}
cc=${CC:-gcc}
c_opt=${OTA_BENCH_C_OPT:--O2}
config_dir=$root/bench/config
config4_dir=$root/bench/config4
http_config_dir=$root/bench/config-http

case $blocks$file_blocks in *[!0-9]*) die "OTA_BENCH_BLOCKS and OTA_BENCH_FILE_BLOCKS are numbers" ;; esac
[ "$blocks" -ge 1 ] && [ "$blocks" -lt "$file_blocks" ] && [ "$file_blocks" -le 1024 ] ||
    die "need 1 <= OTA_BENCH_BLOCKS < OTA_BENCH_FILE_BLOCKS <= 1024"

# Blocks per stream request in bench/config4 (for the labels, and whole requests per window).
per_request4=$(awk '$1 == "#define" && $2 == "otaconfigMAX_NUM_BLOCKS_REQUEST" {
        sub(/[uU]$/, "", $3); print $3 }' "$config4_dir/ota_config.h")
case $per_request4 in '' | *[!0-9]*) per_request4="" ;; esac
[ -n "$per_request4" ] && [ "$per_request4" -ge 1 ] ||
    die "$config4_dir/ota_config.h does not define otaconfigMAX_NUM_BLOCKS_REQUEST as a number"
[ $((blocks % per_request4)) -eq 0 ] ||
    echo "bench: note: OTA_BENCH_BLOCKS=$blocks is not a multiple of $per_request4: the" \
        "$per_request4-blocks-per-request rows hold part of a request" >&2

# ------------------------------------------------------------------- tools --

if ! command -v valgrind >/dev/null 2>&1 || [ ! -f /usr/include/valgrind/callgrind.h ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench: installing valgrind"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
    else
        die "valgrind is missing; install it with: sudo apt-get install -y valgrind"
    fi
fi
valgrind=$(command -v valgrind)
for tool in cargo "$cc" ar size callgrind_annotate; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done

upstream=""
if [ -n "${OTA_UPSTREAM_DIR:-}" ]; then
    [ -d "$OTA_UPSTREAM_DIR" ] || die "OTA_UPSTREAM_DIR=$OTA_UPSTREAM_DIR is not a directory"
    upstream=$(cd "$OTA_UPSTREAM_DIR" && pwd)
    for needed in source/ota.c source/include/ota.h \
        source/dependency/3rdparty/tinycbor/src/cborparser.c \
        source/dependency/coreJSON/source/core_json.c; do
        [ -f "$upstream/$needed" ] || die "$upstream/$needed is missing: point OTA_UPSTREAM_DIR at a
  checkout of aws/ota-for-aws-iot-embedded-sdk v2.0.0 with its submodules
  (git -C <checkout> submodule update --init --recursive)"
    done
fi

mkdir -p "$out"
cflags=(-std=gnu11 -ffunction-sections -fdata-sections)
ldflags=(-Wl,--gc-sections)

# ------------------------------------------------------------------- build --

# The archive firmware links: release profile, the given config, no optional ports (the C
# side has no OS port either).
build_ours() { # target-dir config-dir [extra env...]
    local target=$1 config=$2
    shift 2
    (cd "$root" && env OTA_CONFIG_DIR="$config" "$@" \
        cargo build --quiet --release --no-default-features --target-dir "$target") ||
        die "cargo build of libota.a ($(basename "$config")) failed"
}

# Each variant's program is $out/VARIANT/ingest_bench, run as ./ingest_bench from that folder:
# the same name for all, because the start of the stack (argv, environment) sets the alignment
# of stack buffers, and libc's memcpy/memset take alignment-dependent paths (a few instructions
# per call). The driver is compiled with the variant's config (block size, bitmap size).
link_driver() { # variant headers-dir archive config-dir
    local dir=$out/$1 headers=$2 archive=$3 config=$4
    mkdir -p "$dir"
    "$cc" -O2 "${cflags[@]}" -g -Wall -Wextra -I "$config" -I "$headers" \
        -c "$root/bench/ingest_bench.c" -o "$dir/ingest_bench.o" || die "compiling the driver for $1 failed"
    "$cc" -o "$dir/ingest_bench" "$dir/ingest_bench.o" "$archive" "${ldflags[@]}" \
        -Wl,-Map="$dir/ingest_bench.map" -lpthread -ldl -lm || die "linking the $1 driver failed"
}

# build_c VARIANT CONFIG-DIR: the v2.0.0 C library for that config in $out/VARIANT/libota_c.a,
# its objects listed in c_objects.
build_c() {
    local dir=$out/$1 config=$2 src obj
    rm -rf "$dir"
    mkdir -p "$dir/obj"
    c_objects=()
    # cborpretty*.c are tinycbor's debug printers, never referenced by the OTA library.
    for src in \
        "$upstream"/source/{ota.c,ota_interface.c,ota_base64.c,ota_mqtt.c,ota_http.c,ota_cbor.c} \
        "$corejson/core_json.c" \
        "$tinycbor"/{cborencoder.c,cborencoder_close_container_checked.c,cborerrorstrings.c} \
        "$tinycbor"/{cborparser.c,cborparser_dup_string.c}; do
        obj=$dir/obj/$(basename "${src%.c}").o
        "$cc" "$c_opt" "${cflags[@]}" -w -I "$config" -I "$upstream/source/include" \
            -I "$tinycbor" -I "$corejson/include" -c "$src" -o "$obj" ||
            die "compiling $src failed"
        c_objects+=("$obj")
    done
    ar rcs "$dir/libota_c.a" "${c_objects[@]}"
}

echo "== building libota.a (release) in target/bench, target/bench-4, target/bench-http"
build_ours "$root/target/bench" "$config_dir"
build_ours "$root/target/bench-4" "$config4_dir"
build_ours "$root/target/bench-http" "$http_config_dir"
ours_lib=$root/target/bench/release/libota.a
link_driver rs "$root/include" "$ours_lib" "$config_dir"
link_driver rs4 "$root/include" "$root/target/bench-4/release/libota.a" "$config4_dir"
link_driver rshttp "$root/include" "$root/target/bench-http/release/libota.a" "$http_config_dir"

c_objects=()
if [ -n "$upstream" ]; then
    echo "== building the v2.0.0 C library from $upstream ($cc $c_opt), three configs"
    tinycbor=$upstream/source/dependency/3rdparty/tinycbor/src
    corejson=$upstream/source/dependency/coreJSON/source
    build_c c4 "$config4_dir"
    link_driver c4 "$upstream/source/include" "$out/c4/libota_c.a" "$config4_dir"
    build_c chttp "$http_config_dir"
    link_driver chttp "$upstream/source/include" "$out/chttp/libota_c.a" "$http_config_dir"
    # Last, so that c_objects lists the bench/config objects the size rows are read from.
    build_c c "$config_dir"
    link_driver c "$upstream/source/include" "$out/c/libota_c.a" "$config_dir"
fi

# -------------------------------------------------------------- measure --

# run VARIANT TAG ARGS...: one callgrind run; its window dumps land in $out/cg/VARIANT-TAG/.
run() {
    local variant=$1 tag=$2
    shift 2
    local dir=$out/cg/$variant-$tag
    rm -rf "$dir"
    mkdir -p "$dir"
    # Same working folder, program path and environment for every run (see link_driver).
    # --toggle-collect: the scripted cloud's bookkeeping (reading a stream request, queueing
    # the blocks it names) runs in uncounted_* functions (bench/ingest_bench.c).
    if ! (cd "$out/$variant" && env -i PATH=/usr/bin:/bin LC_ALL=C "$valgrind" \
            --tool=callgrind --collect-atstart=no --toggle-collect='uncounted_*' \
            --callgrind-out-file="$dir/out" \
            ./ingest_bench --file-blocks "$file_blocks" "$@") \
            >"$dir/stdout" 2>"$dir/valgrind.log" || ! grep -q ': ok:' "$dir/stdout"; then
        cat "$dir/stdout" "$dir/valgrind.log" >&2
        die "the $variant bench did not complete ($*)"
    fi
}

# ir VARIANT TAG WINDOW: instructions collected in that window of that run.
ir() {
    local dir=$out/cg/$1-$2 f
    for f in "$dir"/out.*; do
        if grep -qx "desc: Trigger: Client Request: $3" "$f"; then
            sed -n 's/^totals: *//p' "$f"
            return
        fi
    done
    die "no '$3' window in $dir"
}

per_block() { # VARIANT MODE [PAL]: (window with N blocks - window with 0 blocks) / N
    local n0 nN
    nN=$(ir "$1" "$2-$blocks${3:-}" blocks)
    n0=$(ir "$1" "$2-0${3:-}" blocks)
    echo $(((nN - n0 + blocks / 2) / blocks))
}

variants=(rs)
[ -n "$upstream" ] && variants+=(c)

declare -A result
for v in "${variants[@]}"; do
    echo "== measuring $v under callgrind"
    for mode in all ingest request; do
        for n in 0 "$blocks"; do
            run "$v" "$mode-$n" --measure "$mode" --blocks "$n"
        done
    done
    for n in 0 "$blocks"; do
        run "$v" "all-$n-copy" --measure all --blocks "$n" --pal copy
    done
    result[$v.block]=$(per_block "$v" all)
    result[$v.ingest]=$(per_block "$v" ingest)
    result[$v.request]=$(per_block "$v" request)
    result[$v.copy]=$(per_block "$v" all -copy)
    result[$v.job]=$(ir "$v" "all-$blocks" job)
    result[$v.parse]=$(ir "$v" "ingest-$blocks" job)
    result[$v.start]=$(ir "$v" "request-$blocks" job)
    result[$v.finish]=$(ir "$v" "all-$blocks" finish)
    result[$v.memcpy]=$(ir "$v" "all-$blocks" memcpy4k)

    # The same update with 4 blocks per stream request, and over HTTP.
    for mode in all ingest request; do
        for n in 0 "$blocks"; do
            run "${v}4" "$mode-$n" --measure "$mode" --blocks "$n"
            run "${v}http" "$mode-$n" --measure "$mode" --blocks "$n" --plane http
        done
    done
    # The same, each block shaped as AWS IoT sends it (the client token echoed, c,f,l,i,p).
    for n in 0 "$blocks"; do
        run "${v}4" "aws-$n" --measure all --blocks "$n" --aws-shape
    done
    result[$v.block4]=$(per_block "${v}4" all)
    result[$v.aws4]=$(per_block "${v}4" aws)
    result[$v.ingest4]=$(per_block "${v}4" ingest)
    result[$v.request4]=$(per_block "${v}4" request)
    result[$v.http]=$(per_block "${v}http" all)
    result[$v.http_ingest]=$(per_block "${v}http" ingest)
    result[$v.http_request]=$(per_block "${v}http" request)
done

# ----------------------------------------------------------------- sizes --

# size_of FILES...: "text data bss" summed over object files.
size_of() {
    size -t "$@" | awk 'END { print $1, $2, $3 }'
}

# Our library's own objects: the crate (one LTO object) and the C log shim. The archive's other
# members are compiler_builtins/compiler-rt, Rust's libgcc, linked only when referenced.
ours_objs=$out/ours-objects
rm -rf "$ours_objs"
mkdir -p "$ours_objs"
(cd "$ours_objs" && ar x "$ours_lib")
mapfile -t ours_members < <(ar t "$ours_lib" | grep -E '^ota-.*\.o$|shim\.o$')
[ ${#ours_members[@]} -gt 0 ] || die "no library objects found in $ours_lib"
result[rs.archive]=$(cd "$ours_objs" && size_of "${ours_members[@]}")
[ -n "$upstream" ] && result[c.archive]=$(size_of "${c_objects[@]}")

# linked_size MAP ARCHIVE: text/data/bss that ARCHIVE contributes to the linked bench program,
# from the linker map (input sections kept after --gc-sections, grouped by output section the
# way `size` groups them).
linked_size() {
    awk -v lib="$(basename "$2")" '
        function hex(s,    v, i) {
            s = tolower(substr(s, 3))
            v = 0
            for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return v
        }
        /^Linker script and memory map/ { inmap = 1; next }
        !inmap { next }
        /^[^ ]/ { out = $1 }                       # an output section: .text, .data, ...
        {
            # input section lines end in "0xADDR 0xSIZE FILE", possibly after the section name
            n = NF
            if (n >= 3 && $(n - 2) ~ /^0x/ && $(n - 1) ~ /^0x/ && index($n, lib "(") > 0) {
                sz = hex($(n - 1))
                if (out ~ /^\.(tbss|bss)/) bss += sz
                else if (out ~ /^\.(tdata|data|got|init_array|fini_array)/) data += sz
                else if (out ~ /^\.(text|rodata|eh_frame|gcc_except_table|init|fini)/) text += sz
            }
        }
        END { printf "%d %d %d\n", text, data, bss }
    ' "$1"
}
result[rs.linked]=$(linked_size "$out/rs/ingest_bench.map" "$ours_lib")
[ -n "$upstream" ] && result[c.linked]=$(linked_size "$out/c/ingest_bench.map" "$out/c/libota_c.a")

# --------------------------------------------------------------- profile --

if [ "$profile" -eq 1 ]; then
    echo "== profiling libota.a (same build with line tables) -> $out/profile-*.txt"
    build_ours "$root/target/bench-prof" "$config_dir" CARGO_PROFILE_RELEASE_DEBUG=line-tables-only
    link_driver rsprof "$root/include" "$root/target/bench-prof/release/libota.a" "$config_dir"
    run rsprof "all-$blocks" --measure all --blocks "$blocks"
    for window in blocks job; do
        for f in "$out/cg/rsprof-all-$blocks"/out.*; do
            grep -qx "desc: Trigger: Client Request: $window" "$f" || continue
            # --threshold=100: a dump taken mid-run charges the whole call stack above the
            # window (main, __libc_start_main) with 100 %, which would hide everything else.
            callgrind_annotate --threshold=100 --inclusive=yes "$f" \
                >"$out/profile-$window-inclusive.txt" 2>/dev/null
            callgrind_annotate --threshold=100 --inclusive=no "$f" \
                >"$out/profile-$window-self.txt" 2>/dev/null
            callgrind_annotate --threshold=100 --auto=yes --include="$root" --context=1 "$f" \
                >"$out/profile-$window-lines.txt" 2>/dev/null
        done
    done
    if [ -n "$upstream" ]; then
        for window in blocks job; do
            for f in "$out/cg/c-all-$blocks"/out.*; do
                grep -qx "desc: Trigger: Client Request: $window" "$f" || continue
                callgrind_annotate --threshold=100 --inclusive=yes "$f" \
                    >"$out/profile-c-$window-inclusive.txt" 2>/dev/null
            done
        done
    fi
fi

# ----------------------------------------------------------------- table --

num() { # thousands separators
    printf "%s" "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/; ta'
}

ratio() { # ours / C, two decimals
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}

row() { # label key
    local ours=${result[rs.$2]} c=""
    if [ -n "$upstream" ]; then
        c=${result[c.$2]}
        printf "%-64s %12s %12s %8s\n" "$1" "$(num "$ours")" "$(num "$c")" "$(ratio "$ours" "$c")"
    else
        printf "%-64s %12s\n" "$1" "$(num "$ours")"
    fi
}

size_row() { # label key
    local t d b
    read -r t d b <<<"${result[$2]}"
    printf "%-56s %9s %9s %9s\n" "$1" "$(num "$t")" "$(num "$d")" "$(num "$b")"
}

echo
echo "OTA agent, 4 KiB blocks, logging off; file of $file_blocks blocks; MQTT stream, one block"
echo "per request (bench/config) unless a heading says otherwise;"
echo "per-block numbers = (window of $blocks blocks - window of 0 blocks) / $blocks."
echo "Instructions counted by callgrind (valgrind $(valgrind --version | sed 's/valgrind-//'))."
echo
if [ -n "$upstream" ]; then
    printf "%-64s %12s %12s %8s\n" "instructions" "ours" "C v2.0.0" "ours/C"
else
    printf "%-64s %12s\n" "instructions" "ours"
fi
row "per 4 KiB block (PAL writeBlock touches nothing)" block
row "  ingest: signal, decode, bitmap, PAL, status (ours: + request)" ingest
row "  next stream request as its own event (C; ours asks inline)" request
row "per 4 KiB block (PAL writeBlock memcpy's it)" copy
row "job document: parse + start" job
row "  parse (ReceivedJobDocument event)" parse
row "  start (CreateFile + first stream request)" start
row "last block: ingest, close, status, activate" finish
row "baseline: memcpy of 4 KiB (glibc)" memcpy
echo
echo "$per_request4 blocks per stream request (bench/config4)"
row "MQTT per block (ingest + its share of the next request)" block4
row "  ingest: signal, decode, bitmap, PAL, status (ours: + request)" ingest4
row "  share of the next request as its own event (C; ours inline)" request4
row "MQTT per block, blocks shaped as AWS sends them (--aws-shape)" aws4
echo
echo "HTTP data plane, one block per range request (bench/config-http)"
row "HTTP per block (ingest + the next range request)" http
row "  ingest: signal, bitmap, PAL, status (ours: + the next range)" http_ingest
row "  next range request as its own event (C; ours asks inline)" http_request
echo
printf "%-56s %9s %9s %9s\n" "code size (bytes)" "text" "data" "bss"
size_row "ours: libota.a objects (crate + log shim)" rs.archive
[ -n "$upstream" ] && size_row "C v2.0.0: ${#c_objects[@]} objects (OTA, coreJSON, tinycbor)" c.archive
size_row "ours: linked into the bench (--gc-sections)" rs.linked
[ -n "$upstream" ] && size_row "C v2.0.0: linked into the bench (--gc-sections)" c.linked
echo
echo "callgrind dumps: $out/cg/"
[ "$profile" -eq 1 ] && echo "profiles: $out/profile-*.txt"
exit 0
