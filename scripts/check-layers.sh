#!/usr/bin/env bash
# Dependencies point one way: every `crate::`/`super::` path in the library's non-test code is
# an edge between modules (top-level modules, and each file of src/agent and src/sys on its
# own), and tsort must find no loop among them. Prints the order it found, lowest layer first.
#   scripts/check-layers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

node() { # the module a file belongs to
    case $1 in
        src/agent/mod.rs) echo agent ;;
        src/sys/mod.rs) echo sys ;;
        src/agent/*.rs | src/sys/*.rs) local d=${1#src/}; echo "${d%.rs}" ;;
        ports/posix/os/*.rs) echo os_posix ;;
        ports/posix/pal/*.rs) echo pal_posix ;;
        src/*/*) local d=${1#src/}; echo "${d%%/*}" ;;
        src/*.rs) local d=${1#src/}; echo "${d%.rs}" ;;
    esac
}

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in src/*.rs src/*/*.rs src/*/*/*.rs ports/posix/os/*.rs ports/posix/pal/*.rs; do
    case $f in *tests.rs | */corejson_cases.rs | */oracle.rs | src/lib.rs) continue ;; esac
    from=$(node "$f")
    dir=$(dirname "${f#src/}")
    # Test modules sit at the end of a file; what follows `mod tests {` is not the library.
    awk '/^mod tests \{/ { exit } { print }' "$f" |
        { grep -v '^\s*//' || true; } |
        { grep -o -E '(\$?crate|super)(::[a-z_]+)*::\{[A-Za-z0-9_, ]+\}|(\$?crate|super)::[a-z_]+(::[a-z_]+)?|^mod [a-z_]+;|^ *use (state|timer|verdict|handlers|ingest|jobdoc)\b' || true; } |
        # `prefix::{a, b}` is `prefix::a` and `prefix::b`.
        awk '/\{/ { p = $0; sub(/::\{.*/, "", p); i = $0; sub(/.*\{/, "", i); sub(/\}.*/, "", i)
                     n = split(i, a, /, */); for (k = 1; k <= n; k++) print p "::" a[k]; next } { print }' |
        while read -r path; do
            case $path in
                '$crate::'*) continue ;;
                mod\ *) to="$from/$(echo "$path" | sed 's/^mod \([a-z_]*\);/\1/')" ;;
                *use\ *) to="$from/$(echo "$path" | awk '{ print $2 }')" ;;
                super::*) to="$dir/$(echo "$path" | cut -d: -f3)" ;;
                crate::agent::* | crate::sys::*)
                    sub=$(echo "$path" | cut -d: -f5)
                    top=$(echo "$path" | cut -d: -f3)
                    if [ -n "$sub" ] && [ -f "src/$top/$sub.rs" ]; then to="$top/$sub"; else to=$top; fi ;;
                crate::*) to=$(echo "$path" | cut -d: -f3) ;;
            esac
            # `super::x` from a file of src/agent or src/sys names a sibling file or the parent.
            case $to in
                agent/* | sys/*) [ -f "src/$to.rs" ] || to=${to%%/*} ;;
                */*) to=${to%%/*} ;;
            esac
            [ "$to" = "$from" ] || echo "$to $from"
        done
done | sort -u > "$edges"

if ! order=$(tsort "$edges" 2>&1); then
    echo "$order" >&2
    echo "check-layers: the modules above call each other in a loop; make the lower one not call up" >&2
    exit 1
fi
echo "check-layers: $(wc -l < "$edges") edges, no loop; lowest first: $(echo "$order" | tr '\n' ' ')"
