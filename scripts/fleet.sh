#!/usr/bin/env bash
# A fleet: N Linux device processes, each its own thing with its own certificate, against one
# mosquitto and one cloud simulator; one job updates them all over MQTT to a 256 KiB image.
#
#   scripts/fleet.sh N          (default 20)
#
# Reports devices that SUCCEEDED, wall time, percentiles of per-device download time (first to
# last block sent, as the cloud saw it) and the broker's messages per second; exit 0 only if all
# N SUCCEEDED. OTA_FLEET_TIMEOUT: seconds for the whole fleet (default 60 + N/4).
# OTA_FLEET_KEEP=1 keeps the files. OTA_FLEET_PROTOCOL=HTTP sends the file over HTTP instead.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
env_name=fleet
n=${1:-20}
case "$n" in '' | *[!0-9]*) echo "usage: $0 N (devices, 1-5000)" >&2; exit 2 ;; esac
[ "$n" -ge 1 ] && [ "$n" -le 5000 ] || { echo "usage: $0 N (devices, 1-5000)" >&2; exit 2; }
limit=${OTA_FLEET_TIMEOUT:-$((60 + n / 4))}
protocol=${OTA_FLEET_PROTOCOL:-MQTT}
mkdir -p "$root/build"
work=$(mktemp -d "$root/build/fleet.XXXXXX")
# shellcheck source=../tools/cloud-sim/testenv.sh
. "$root/tools/cloud-sim/testenv.sh"

env_cleanup_on_exit OTA_FLEET_KEEP

# One descriptor per device for the broker, a few per device for this shell's children.
ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
env_tools
env_build
env_pki
env_signer

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(date +%s.%N)
env_say "making $n thing certificates"
export -f env_cert
export work
# Two at a time: the machine's two cores.
seq 1 "$n" | xargs -P 2 -I{} bash -c 'env_cert "fleet-{}" "" >/dev/null 2>&1' ||
    env_fail "making the thing certificates failed"
env_say "certificates made in $(since "$t0") s"

env_broker_config
env_broker_start
env_sim_start
# The update: the v1.1.0 device program padded to 256 KiB (an ELF runs with bytes after its end).
image="$work/cloud/fleet-1.1.0.bin"
cp "$DEVICE_BUILD/linux_device_v2" "$image"
truncate -s 262144 "$image"
start=$(date +%s.%N)
pids=()
for i in $(seq 1 "$n"); do
    env_device "fleet-$i" "$work/devices/fleet-$i" --updates 1 --run-seconds $((limit + 30))
    pids+=("$DEVICE_PID")
    # Spread the TLS handshakes: 50 devices, then a short pause.
    [ $((i % 50)) -ne 0 ] || sleep 0.2
done
env_say "$n devices started in $(since "$start") s"

# All connected and waiting for a job before there is one, so they all download at once.
connected() { grep -cE "New client connected.* u.fleet-|^connected fleet-" "$work/broker/broker.log" 2>/dev/null || true; }
for _ in $(seq $((limit * 10))); do [ "$(connected)" -ge "$n" ] && break; sleep 0.1; done
env_say "$(connected) devices connected after $(since "$start") s; creating the job"
start=$(date +%s.%N)
env_job --job-id fleet-update --firmware "$image" --filepath fleet-1.1.0.bin --protocols "$protocol" \
    --things "fleet-[1..$n]"
env_say "job fleet-update: $(stat -c %s "$image") bytes over $protocol for $n things; all at once"


env_wait --job fleet-update --status SUCCEEDED,FAILED,REJECTED,CANCELED,TIMED_OUT --timeout "$limit" >/dev/null 2>&1 || true
wall=$(since "$start")
sleep 0.5

summary="$work/cloud/summary.json"
succeeded=$(jq '[.jobs[] | select(.jobId=="fleet-update") | .things[] | select(.status=="SUCCEEDED")] | length' "$summary")
states=$(jq -r '[.jobs[] | select(.jobId=="fleet-update") | .things[] | .status] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' "$summary")
pcts=$(jq -r '[.jobs[] | select(.jobId=="fleet-update") | .things[] | .downloadSeconds | select(. != null)] | sort |
    if length == 0 then "none" else
    (. as $a | [50, 90, 99, 100] | map(. as $p | $a[((($a | length) - 1) * $p / 100 | floor)] | . * 100 | round / 100 | tostring) |
    "p50 \(.[0]) s, p90 \(.[1]) s, p99 \(.[2]) s, max \(.[3]) s") end' "$summary")
# The cloud's own clock: from the job's creation to the last execution that ended (1 s steps).
done_s=$(jq '[.jobs[] | select(.jobId=="fleet-update") | .createdAt as $c | .things[] |
    select(.status != "QUEUED" and .status != "IN_PROGRESS") | .lastUpdatedAt - $c] | max // 0' "$summary")
msgs=$(jq '.messagesIn + .messagesOut' "$summary")
uptime=$(jq '.uptimeSeconds' "$summary")
mps=$(awk -v m="$msgs" -v w="$done_s" -v x="$wall" 'BEGIN { printf "%d", m / (w > 0 ? w : x) }')
broker_rss=$(ps -o rss= -p "$BROKER_PID" 2>/dev/null | tr -d ' ' || echo 0)

echo
echo "fleet of $n devices, one 256 KiB update over $protocol (TLS 1.2, a certificate per thing, $BROKER_KIND broker)"
echo "  succeeded:        $succeeded / $n   ($states)"
echo "  wall time:        $done_s s from the job's creation to the last execution's end (waited $(printf '%.1f' "$wall") s)"
echo "  download time:    $pcts (per device, first to last block)"
echo "  broker traffic:   $msgs messages to and from the cloud = $mps messages/s over that time"
echo "  broker memory:    $((broker_rss / 1024)) MiB RSS; simulator up $(printf '%.1f' "$uptime") s"
if [ "$succeeded" -ne "$n" ]; then
    env_say "devices not SUCCEEDED (first 5):"
    jq -r '.jobs[] | select(.jobId=="fleet-update") | .things | to_entries[] | select(.value.status!="SUCCEEDED") | "  \(.key) \(.value.status)"' "$summary" | head -5
    exit 1
fi
echo "fleet: $n passed, 0 failed"
