#!/usr/bin/env bash
# OTA end to end on a real MQTT broker: mosquitto with TLS and client certificates on a free
# 127.0.0.1 port, the cloud simulator (tools/cloud-sim) and the Linux device
# (examples/linux_device, libota.a + libmosquitto + libcurl).
#
#   scripts/demo.sh
#
# 1. the device boots v1.0.0; job 1 offers v1.1.0 over the MQTT stream: download, signature
#    check, reboot (exec) into v1.1.0, self test, SUCCEEDED;
# 2. job 2 offers v1.2.0 over HTTP (a pre-signed-style URL with Range requests): the same, to
#    SUCCEEDED;
# 3. prints what happened and the cloud's final job states.
# Exit 0 only if the cloud saw SUCCEEDED for both jobs and the installed images match.
# Environment: OTA_DEMO_TIMEOUT (seconds per update, default 60), OTA_DEMO_KEEP=1 (keep files).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
env_name=demo-broker
timeout_s=${OTA_DEMO_TIMEOUT:-60}
mkdir -p "$root/build"
# Inside build/: the device executes what it downloads, and /tmp may be noexec.
work=$(mktemp -d "$root/build/demo-broker.XXXXXX")
# shellcheck source=../tools/cloud-sim/testenv.sh
. "$root/tools/cloud-sim/testenv.sh"
# The library's own build tools (cmake, libclang, ...): installed as root, else named.
"$root/scripts/deps.sh"

env_cleanup_on_exit OTA_DEMO_KEEP

env_up
env_say "$BROKER_KIND broker on 127.0.0.1:$BROKER_PORT (TLS 1.2, client certificates required)"
env_sim_start
env_say "cloud simulator connected as cloud-sim; HTTP file server on 127.0.0.1:$(cat "$work/cloud/http-port")"

thing=demo-device-1
dev="$work/devices/$thing"
mkdir -p "$dev"
cp "$DEVICE_BUILD/linux_device_v2" "$work/cloud/firmware-1.1.0.bin"
cp "$DEVICE_BUILD/linux_device_v3" "$work/cloud/firmware-1.2.0.bin"
env_job --job-id demo-mqtt-1 --firmware "$work/cloud/firmware-1.1.0.bin" --filepath firmware-1.1.0.bin \
    --protocols MQTT --things "$thing"
env_say "job demo-mqtt-1: v1.1.0 over MQTT for $thing"
env_device "$thing" "$dev" --updates 2 --run-seconds $((timeout_s * 2 + 30))
env_say "device $thing booted with v1.0.0 (log: devices/$thing/device.log)"

ok=1
if env_wait --job demo-mqtt-1 --status SUCCEEDED,FAILED,REJECTED,CANCELED,TIMED_OUT --timeout "$timeout_s" &&
   [ "$(env_status demo-mqtt-1 "$thing")" = SUCCEEDED ]; then
    env_say "job demo-mqtt-1 SUCCEEDED"
    env_job --job-id demo-http-2 --firmware "$work/cloud/firmware-1.2.0.bin" --filepath firmware-1.2.0.bin \
        --protocols HTTP --things "$thing"
    env_say "job demo-http-2: v1.2.0 over HTTP for $thing"
    if env_wait --job demo-http-2 --status SUCCEEDED,FAILED,REJECTED,CANCELED,TIMED_OUT --timeout "$timeout_s" &&
       [ "$(env_status demo-http-2 "$thing")" = SUCCEEDED ]; then
        env_say "job demo-http-2 SUCCEEDED"
    else
        ok=0
    fi
else
    ok=0
fi

# Bounded: the device exits by itself after its second accepted update.
for _ in $(seq 50); do kill -0 "$DEVICE_PID" 2>/dev/null || break; sleep 0.1; done
sleep 0.5

echo
echo "---- device log ----"
sed 's/^/  /' "$dev/device.log" | tr '\r' '\n' | grep -v '^\s*\[#*-*\]' || true
echo
echo "---- cloud: final job states ----"
jq -r '.jobs[] | .jobId as $j | .protocols as $p | .things | to_entries[] |
    "  \($j) (\($p | join("+"))) \(.key): \(.value.status)  history \(.value.history | join(" -> "))  statusDetails \(.value.statusDetails | tostring)  mqtt \(.value.mqttBytes) B, http \(.value.httpBytes) B, \(.value.downloadSeconds // 0 | . * 100 | round / 100) s"' \
    "$work/cloud/summary.json"
jq -r '"  messages in \(.messagesIn), out \(.messagesOut), rejected \(.rejectedSent)"' "$work/cloud/summary.json"
echo

for v in 1.1.0 1.2.0; do
    if cmp -s "$work/cloud/firmware-$v.bin" "$dev/images/firmware-$v.bin"; then
        env_say "installed image firmware-$v.bin matches the cloud's"
    else
        env_say "installed image firmware-$v.bin differs from the cloud's or is missing"
        ok=0
    fi
done
grep -q "running v1.2.0, update 2 accepted" "$dev/device.log" || ok=0

if [ "$ok" = 1 ]; then
    echo "OTA demo on a real broker: both updates SUCCEEDED (MQTT, then HTTP)"
    exit 0
fi
echo "OTA demo on a real broker: FAILED" >&2
exit 1
