#!/usr/bin/env bash
# Makes sure the system tools the build and tests need are here; installs them when run as
# root on Debian/Ubuntu, otherwise says exactly what to install. Needs only Rust and gcc.
set -euo pipefail

packages=()
command -v cmake >/dev/null 2>&1 || packages+=(cmake)
command -v pkg-config >/dev/null 2>&1 || packages+=(pkg-config)
# bindgen loads libclang at build time.
if ! ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/*/libclang-[0-9]*.so* >/dev/null 2>&1 \
    && [ -z "${LIBCLANG_PATH:-}" ]; then
    packages+=(libclang-dev)
fi
[ -f /usr/include/cmocka.h ] || packages+=(libcmocka-dev)
# The POSIX PAL's C test makes its keys, certificates and signatures with openssl at run time.
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
# Cortex-M builds (scripts/thumb.sh): the firmware's C compiler and C library, and a Rust that
# can build core for thumb targets when rustup has none of them installed.
command -v arm-none-eabi-gcc >/dev/null 2>&1 || packages+=(gcc-arm-none-eabi)
command -v qemu-system-arm >/dev/null 2>&1 || packages+=(qemu-system-arm)
[ -d /usr/lib/arm-none-eabi/newlib ] || packages+=(libnewlib-arm-none-eabi)
if ! { command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -q '^thumbv'; }; then
    [ -x /usr/bin/rustc ] || packages+=(rustc-web)
    [ -x /usr/bin/cargo ] || packages+=(cargo-web)
    [ -d /usr/lib/rustlib/src/rust/library/core ] || packages+=(rust-web-src)
fi

# The broker demo and scenarios (scripts/demo.sh): mosquitto, the device's MQTT and HTTP
# clients, jq for the cloud's summaries.
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || packages+=(mosquitto)
pkg-config --exists libmosquitto 2>/dev/null || packages+=(libmosquitto-dev)
pkg-config --exists libcurl 2>/dev/null || packages+=(libcurl4-openssl-dev)
command -v jq >/dev/null 2>&1 || packages+=(jq)

if [ ${#packages[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "deps: installing ${packages[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
    else
        echo "deps: missing ${packages[*]}; install them with: sudo apt-get install -y ${packages[*]}" >&2
        exit 1
    fi
fi

# cbindgen writes the header of the Rust exports for the prototype check.
if ! command -v cbindgen >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cbindgen" ]; then
    echo "deps: installing cbindgen (cargo install)"
    cargo install --quiet --locked cbindgen@0.29.4
fi
