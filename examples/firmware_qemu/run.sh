#!/bin/sh
# Builds a QEMU mps2-an386 (Cortex-M4) firmware (ota: a whole update; hello: bring-up) and runs it; exits with its status.
# Usage: run.sh [ota|hello]   (default ota); EXTRA_CFLAGS is added to every compile.
set -e
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$ROOT/build/firmware_qemu"
K=$("$ROOT/scripts/freertos-kernel.sh")
SIM="$ROOT/ports/freertos/sim"
WHICH=${1:-ota}
mkdir -p "$OUT/obj"

# libota.a with sim/config/ota_config.h (1 KiB blocks, 1 s request wait), as sim_cloud.c expects.
# cargo returns at once when nothing changed, so the archive never goes stale.
(cd "$ROOT" && OTA_CONFIG_DIR="$SIM/config" CARGO_TARGET_DIR="$OUT/cargo" \
    scripts/cargo-target.sh thumbv7em-none-eabi build --release --lib --quiet)
(cd "$ROOT" && scripts/finish-archive.sh "$OUT/cargo/thumbv7em-none-eabi/release/libota.a" \
    "$OUT/libota.a" arm-none-eabi-ar)

CC=arm-none-eabi-gcc
CFLAGS="-mcpu=cortex-m4 -mthumb -mfloat-abi=soft -Os -g -ffunction-sections -fdata-sections -Wall $EXTRA_CFLAGS"
INC="-I$HERE -I$K/include -I$K/portable/GCC/ARM_CM3 -I$ROOT/include -I$SIM/config -I$SIM -I$ROOT/ports/freertos"
LDFLAGS="-T$HERE/link.ld --specs=nano.specs -nostartfiles -Wl,--gc-sections -Wl,-Map=$OUT/$WHICH.map"

KERNEL="$K/tasks.c $K/queue.c $K/list.c $K/timers.c $K/portable/GCC/ARM_CM3/port.c $K/portable/MemMang/heap_4.c"
COMMON="$HERE/startup.c $HERE/hooks.c"
if [ "$WHICH" = hello ]; then
    SRCS="$COMMON $HERE/hello.c $KERNEL"
    LIBS=""
else
    SRCS="$COMMON $HERE/ota_main.c $ROOT/ports/freertos/ota_os_freertos.c $SIM/sim_cloud.c $SIM/sim_cbor.c $SIM/sim_pal.c $KERNEL"
    LIBS="$OUT/libota.a"
fi

OBJS=""
for s in $SRCS; do
    o="$OUT/obj/$WHICH-$(basename "$s" .c).o"
    $CC $CFLAGS $INC -c "$s" -o "$o"
    OBJS="$OBJS $o"
done
$CC $CFLAGS $LDFLAGS $OBJS $LIBS -lc -lgcc -o "$OUT/$WHICH.elf"
arm-none-eabi-size "$OUT/$WHICH.elf"

set +e
timeout 60 qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native \
    -kernel "$OUT/$WHICH.elf"
rc=$?
echo "firmware_qemu: $WHICH exited with status $rc"
exit $rc
