#!/usr/bin/env bash
# OTA scenarios on a real MQTT broker: mosquitto (TLS, client certificates), the cloud simulator
# and the Linux device, one fresh thing per scenario. Each scenario is bounded in time.
#
#   scripts/broker-scenarios.sh [NAME...]     (default: all)
#
# mqtt, http, loss20, dup-reorder, cancel, queued, rollback, broker-restart, disconnect,
# url-expiry, bad-setup.
# Prints one line per scenario and "N passed, N failed"; exit 0 only if none failed.
# OTA_SCENARIO_TIMEOUT: seconds per wait (default 60). OTA_SCENARIO_KEEP=1 keeps the files.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
env_name=scenarios
limit=${OTA_SCENARIO_TIMEOUT:-60}
mkdir -p "$root/build"
work=$(mktemp -d "$root/build/broker-scenarios.XXXXXX")
# shellcheck source=../tools/cloud-sim/testenv.sh
. "$root/tools/cloud-sim/testenv.sh"

env_cleanup_on_exit OTA_SCENARIO_KEEP

env_up
env_sim_start
cp "$DEVICE_BUILD/linux_device_v2" "$work/cloud/firmware-1.1.0.bin"
cp "$DEVICE_BUILD/linux_device_v3" "$work/cloud/firmware-1.2.0.bin"
env_say "$BROKER_KIND broker on 127.0.0.1:$BROKER_PORT, cloud simulator up"

terminal=SUCCEEDED,FAILED,REJECTED,CANCELED,TIMED_OUT

faults() { "$SIM" control --state "$work/cloud" faults "$1"; sleep 0.5; }
no_faults() { faults "drop=0,duplicate=0,reorder=0,delay_ms=0,corrupt=0,http_delay_ms=0,url_ttl=3600"; }

# Device for scenario $1 (thing ota-$1), extra device options after it.
start_device() {
    local name=$1
    shift
    thing="ota-$name"
    dev="$work/devices/$thing"
    env_device "$thing" "$dev" --run-seconds $((limit * 3)) "$@"
}

stop_device() {
    [ -n "${DEVICE_PID:-}" ] || return 0
    kill "$DEVICE_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$DEVICE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$DEVICE_PID" 2>/dev/null || true
}

job() { # job ID VERSION PROTOCOL
    env_job --job-id "$1" --firmware "$work/cloud/firmware-$2.bin" --filepath "firmware-$2.bin" \
        --protocols "$3" --things "$thing"
}

ends_as() { # ends_as JOB STATUS: the job's execution reaches a terminal state, and it is STATUS
    env_wait --job "$1" --thing "$thing" --status "$terminal" --timeout "$limit" >/dev/null 2>&1 || true
    [ "$(env_status "$1" "$thing")" = "$2" ]
}

installed() { cmp -s "$work/cloud/firmware-$1.bin" "$dev/images/firmware-$1.bin"; }

blocks_sent() { # blocks_sent JOB
    jq -r --arg j "$1" --arg t "$thing" '.jobs[] | select(.jobId==$j) | .things[$t].blocksSent' "$work/cloud/summary.json"
}

wait_blocks() { # wait_blocks JOB N: until the cloud has sent N blocks (bounded)
    for _ in $(seq $((limit * 10))); do
        [ "$(blocks_sent "$1" 2>/dev/null || echo 0)" -ge "$2" ] 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

detail() {
    jq -r --arg j "$1" --arg t "$thing" '.jobs[] | select(.jobId==$j) | .things[$t] |
        "\(.status) (\(.history | join(">"))) \(.statusDetails | tostring) blocks \(.blocksSent) dropped \(.blocksDroppedByFault) requests \(.getStreamRequests) http \(.httpBytes) B urls \(.urlsIssued)"' \
        "$work/cloud/summary.json"
}

# ------------------------------------------------------------------------------ scenarios --

s_mqtt() {
    start_device mqtt --updates 1
    job sc-mqtt 1.1.0 MQTT
    ends_as sc-mqtt SUCCEEDED && installed 1.1.0 && note="$(detail sc-mqtt)"
}

s_http() {
    start_device http --updates 1
    job sc-http 1.1.0 HTTP
    ends_as sc-http SUCCEEDED && installed 1.1.0 && note="$(detail sc-http)"
}

s_loss20() {
    faults drop=0.2
    start_device loss20 --updates 1
    job sc-loss 1.1.0 MQTT
    ends_as sc-loss SUCCEEDED && installed 1.1.0 && note="$(detail sc-loss)"
}

s_dup_reorder() {
    faults duplicate=0.3,reorder=1
    start_device dup-reorder --updates 1
    job sc-dup 1.1.0 MQTT
    ends_as sc-dup SUCCEEDED && installed 1.1.0 && note="$(detail sc-dup)"
}

# The job is canceled after 20 blocks; v2.0.0 hears it on notify-next, aborts, and then takes
# the next job.
s_cancel() {
    faults delay_ms=100,cancel_after=sc-cancel:20
    start_device cancel --updates 1
    job sc-cancel 1.1.0 MQTT
    ends_as sc-cancel CANCELED || return 1
    note="cancel: $(detail sc-cancel)"
    no_faults
    sleep 1
    job sc-after-cancel 1.2.0 MQTT
    ends_as sc-after-cancel SUCCEEDED && installed 1.2.0 && ! installed 1.1.0 &&
        note="$note; next job: $(detail sc-after-cancel)"
}

s_queued() {
    start_device queued --updates 2
    job sc-first 1.1.0 MQTT
    job sc-second 1.2.0 MQTT
    ends_as sc-first SUCCEEDED && ends_as sc-second SUCCEEDED && installed 1.1.0 && installed 1.2.0 &&
        grep -q "running v1.2.0, update 2 accepted" "$dev/device.log" &&
        note="first $(env_status sc-first "$thing"), second $(env_status sc-second "$thing")"
}

# v1.1.0 fails its self test: the job becomes FAILED ("rejected: ..."), the device returns to v1.0.0.
s_rollback() {
    start_device rollback --fail-self-test 1.1.0
    job sc-rollback 1.1.0 MQTT
    ends_as sc-rollback FAILED || return 1
    # Bounded: the rolled-back image boots within a few seconds.
    for _ in $(seq 100); do [ "$(grep -c 'boot v1.0.0' "$dev/device.log")" -ge 2 ] && break; sleep 0.1; done
    [ "$(grep -c 'boot v1.0.0' "$dev/device.log")" -ge 2 ] && grep -q "rolling back" "$dev/device.log" &&
        note="$(detail sc-rollback); device back on v1.0.0"
}

# The broker stops after 16 blocks and comes back 2 s later on the same port.
s_broker_restart() {
    faults delay_ms=150
    start_device broker-restart --updates 1
    job sc-restart 1.1.0 MQTT
    wait_blocks sc-restart 16 || return 1
    env_broker_stop
    sleep 2
    env_broker_start
    ends_as sc-restart SUCCEEDED && installed 1.1.0 && grep -q "OTA_Resume" "$dev/device.log" &&
        note="$(detail sc-restart); device: $(grep -c 'connection lost' "$dev/device.log") outage(s), resumed"
}

# The cloud takes the device's client ID over mid-download (the disconnect knob): the broker
# drops the device, which reconnects, resumes and finishes.
s_disconnect() {
    faults delay_ms=100
    start_device disconnect --updates 1
    job sc-kick 1.1.0 MQTT
    wait_blocks sc-kick 12 || return 1
    "$SIM" control --state "$work/cloud" disconnect "$thing"
    ends_as sc-kick SUCCEEDED && installed 1.1.0 && grep -q "connection lost" "$dev/device.log" &&
        note="$(detail sc-kick); device: $(grep -c 'connection lost' "$dev/device.log") disconnect(s), resumed"
}

# URLs live 2 s; HTTP answers take 100 ms, so the URL expires after ~20 blocks. v2.0.0 has no
# URL refresh of its own: the device suspends and resumes the agent, which asks for the job
# document again and takes the same job's fresh URL.
s_url_expiry() {
    faults url_ttl=2,http_delay_ms=100
    start_device url-expiry --updates 1
    job sc-url 1.1.0 HTTP
    ends_as sc-url SUCCEEDED && installed 1.1.0 && grep -q "URL was refused" "$dev/device.log" &&
        note="$(detail sc-url); $(jq -r .httpExpiredRefusals "$work/cloud/summary.json") expired-URL refusal(s)"
}

# The device says what is wrong and exits 1: unreachable endpoint, a certificate from another CA,
# a thing name that is not its certificate's.
s_bad_setup() {
    thing=ota-bad-setup
    DEVICE_PID=""
    dev="$work/devices/$thing"
    mkdir -p "$dev/trust" "$dev/images"
    cp "$work/pki/signer.pem" "$dev/trust/"
    env_cert "$thing" "" >>"$work/pki/openssl.log" 2>&1
    local v1="$DEVICE_BUILD/linux_device_v1" pki="$work/pki" out="$dev/device.log" rc
    run() { rc=0; timeout 30 "$v1" --root-ca "$pki/ca.pem" --device-dir "$dev" --run-seconds 20 "$@" >>"$out" 2>&1 || rc=$?; }
    # Nothing listens on the port of a socket that was just closed.
    run --endpoint 127.0.0.1 --port "$(env_free_port)" --cert "$pki/$thing.pem" --key "$pki/$thing.key" --thing "$thing"
    [ "$rc" = 1 ] && grep -q "cannot connect to 127.0.0.1" "$out" || return 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$thing" -days 1 \
        -keyout "$pki/rogue.key" -out "$pki/rogue.pem" >/dev/null 2>&1
    run --endpoint "$BROKER_HOST" --port "$BROKER_PORT" --cert "$pki/rogue.pem" --key "$pki/rogue.key" --thing "$thing"
    [ "$rc" = 1 ] && grep -Eq "did not accept the connection|cannot connect to $BROKER_HOST:$BROKER_PORT" "$out" || return 1
    # mosquitto, unlike AWS IoT, drops what the ACL denies without a word: the device notices
    # that the Jobs service never answers, says so and keeps asking until --run-seconds.
    if [ "$BROKER_KIND" = embedded ]; then
        note="unreachable endpoint and foreign certificate: one sentence, exit 1 (the embedded broker has no ACL to test a wrong thing name)"
        return 0
    fi
    run --endpoint 127.0.0.1 --port "$BROKER_PORT" --cert "$pki/$thing.pem" --key "$pki/$thing.key" --thing not-my-name --run-seconds 13
    [ "$rc" = 3 ] && grep -q "no answer from the Jobs service for thing not-my-name" "$out" || return 1
    note="unreachable endpoint and foreign certificate: one sentence, exit 1; wrong thing name: a warning every 10 s, no crash"
}

env_scenarios 15 scenarios mqtt http loss20 dup-reorder cancel queued rollback broker-restart disconnect url-expiry bad-setup -- "$@"
