#!/usr/bin/env bash
# Resume across reboot (include/ota_ext.h, not part of v2.0.0) on a real broker: mosquitto (TLS,
# client certificates), the cloud simulator and the Linux device with --resume-every, killed
# with SIGKILL halfway through a download and started again. One fresh thing per scenario.
#
#   scripts/resume-scenarios.sh [NAME...]     (default: all)
#
# mqtt        killed at ~50 %: the restart resumes and the cloud serves only the missing blocks
# corrupt     the record gets a flipped byte while the device is down: restart from block 0
# other-job   while the device is down the job is canceled and another one queued: that one
#             starts from block 0 (the record is not its) and the record is gone afterwards
# http        as mqtt, over the HTTP data plane (one range request per block)
#
# Every scenario ends with the job SUCCEEDED, the verified image installed and no record left.
# It prints, per scenario, the file's blocks, the blocks the cloud served before the kill and
# after the restart, and the requests after the restart; "N passed, N failed" at the end.
# OTA_RESUME_TIMEOUT: seconds per wait (default 60). OTA_RESUME_KEEP=1 keeps the files.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
env_name=resume
limit=${OTA_RESUME_TIMEOUT:-60}
mkdir -p "$root/build"
# Inside build/: the device executes what it downloads, and /tmp may be noexec.
work=$(mktemp -d "$root/build/resume-scenarios.XXXXXX")
# shellcheck source=../tools/cloud-sim/testenv.sh
. "$root/tools/cloud-sim/testenv.sh"

every=8            # the device's --resume-every: a record every 8 blocks
window=4           # blocks per GetStream request (examples/linux_device/config: otaconfigMAX_NUM_BLOCKS_REQUEST)
block=4096
record_name=ota_resume.rec
terminal=SUCCEEDED,FAILED,REJECTED,CANCELED,TIMED_OUT

env_cleanup_on_exit OTA_RESUME_KEEP

env_up
env_sim_start
# Small files of a whole number of blocks plus a partial last one (zeros after an ELF change
# nothing when it runs): 96 blocks for v1.1.0, 80 for v1.2.0.
cp "$DEVICE_BUILD/linux_device_v2" "$work/cloud/firmware-1.1.0.bin"
cp "$DEVICE_BUILD/linux_device_v3" "$work/cloud/firmware-1.2.0.bin"
truncate -s $((96 * block - 100)) "$work/cloud/firmware-1.1.0.bin"
truncate -s $((80 * block - 7)) "$work/cloud/firmware-1.2.0.bin"
env_say "$BROKER_KIND broker on 127.0.0.1:$BROKER_PORT, cloud simulator up"

blocks_of() { local n; n=$(stat -c %s "$work/cloud/firmware-$1.bin"); echo $(((n + block - 1) / block)); }

faults() { "$SIM" control --state "$work/cloud" faults "$1"; sleep 0.5; }
no_faults() { faults "drop=0,duplicate=0,reorder=0,delay_ms=0,corrupt=0,http_delay_ms=0,url_ttl=3600"; }

# The device of thing $thing, resume on; its output in $dev/device.log (the previous run's
# log is kept as device-N.log).
boot_device() {
    if [ -f "$dev/device.log" ]; then
        local n=1
        while [ -f "$dev/device-$n.log" ] && [ "$n" -lt 10 ]; do n=$((n + 1)); done
        mv "$dev/device.log" "$dev/device-$n.log"
    fi
    env_device "$thing" "$dev" --run-seconds $((limit * 3)) --updates 1 --resume-every "$every"
}

new_thing() { thing="rs-$1"; dev="$work/devices/$thing"; DEVICE_PID=""; }

stop_device() {
    [ -n "${DEVICE_PID:-}" ] || return 0
    kill "$DEVICE_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$DEVICE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$DEVICE_PID" 2>/dev/null || true
}

# SIGKILL: no handler runs, nothing is flushed or saved on the way out.
kill_device() {
    local gone=0
    # The shell's stderr is muted meanwhile: it would report "Killed" with the command line.
    exec 3>&2 2>/dev/null
    kill -9 "$DEVICE_PID" || true
    for _ in $(seq 50); do kill -0 "$DEVICE_PID" || { gone=1; break; }; sleep 0.1; done
    [ "$gone" = 0 ] || wait "$DEVICE_PID" || true
    exec 2>&3 3>&-
    [ "$gone" = 1 ]
}

# The device exits by itself 1 s after its accepted update (--updates 1); bounded.
device_exits() {
    for _ in $(seq 100); do kill -0 "$DEVICE_PID" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

job() { # job ID VERSION PROTOCOL
    env_job --job-id "$1" --firmware "$work/cloud/firmware-$2.bin" --filepath "firmware-$2.bin" \
        --protocols "$3" --things "$thing"
}

ends_as() { # ends_as JOB STATUS: the execution reaches a terminal state, and it is STATUS
    env_wait --job "$1" --thing "$thing" --status "$terminal" --timeout "$limit" >/dev/null 2>&1 || true
    [ "$(env_status "$1" "$thing")" = "$2" ]
}

installed() { cmp -s "$work/cloud/firmware-$1.bin" "$dev/images/firmware-$1.bin"; }

# counter JOB FIELD: one of the execution's counters in the cloud's summary (0 before it exists).
counter() {
    local v
    v=$(jq -r --arg j "$1" --arg t "$thing" --arg f "$2" \
        '.jobs[] | select(.jobId==$j) | .things[$t][$f] // 0' "$work/cloud/summary.json" 2>/dev/null || true)
    echo "${v:-0}"
}

# served JOB PROTOCOL: blocks the cloud served the thing (MQTT data messages, or HTTP range
# answers: one block each); requests JOB PROTOCOL: GetStream requests, or HTTP range requests.
served() { if [ "$2" = HTTP ]; then counter "$1" httpRanges; else counter "$1" blocksSent; fi; }
requests() { if [ "$2" = HTTP ]; then counter "$1" httpRanges; else counter "$1" getStreamRequests; fi; }

wait_served() { # wait_served JOB PROTOCOL N: until the cloud has served N blocks (bounded)
    for _ in $(seq $((limit * 10))); do
        [ "$(served "$1" "$2")" -ge "$3" ] && return 0
        sleep 0.1
    done
    return 1
}

# settled JOB PROTOCOL: the served count once it stopped moving (the device is dead, but a
# request it sent just before may still be on its way); three equal reads of fresh summaries.
settled() {
    local last=-1 same=0 now up seen=""
    for _ in $(seq 100); do
        up=$(jq -r .uptimeSeconds "$work/cloud/summary.json" 2>/dev/null || true)
        if [ "$up" != "$seen" ]; then
            seen=$up
            now=$(served "$1" "$2")
            if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; last=$now; fi
            [ "$same" -ge 3 ] && { echo "$now"; return 0; }
        fi
        sleep 0.1
    done
    echo "$last"
}

why() { reason="$*"; return 1; }

# Downloads job $1 ($2, over $3) until about half of its blocks are out, kills the device and
# sets total, before (blocks served before the kill) and before_requests.
half_then_kill() {
    local job_id=$1 version=$2 proto=$3
    boot_device
    job "$job_id" "$version" "$proto"
    total=$(blocks_of "$version")
    wait_served "$job_id" "$proto" $((total / 2)) || why "the cloud never served half of the $total blocks" || return 1
    kill_device || why "the device survived SIGKILL" || return 1
    before=$(settled "$job_id" "$proto")
    before_requests=$(requests "$job_id" "$proto")
    [ "$before" -lt "$total" ] || why "the download ended before the kill ($before of $total blocks)" || return 1
    [ -s "$dev/images/$record_name" ] || why "no resume record after $before blocks" || return 1
    grep -q "resume across reboot on: a record every $every blocks" "$dev/device.log" ||
        why "the device did not register resume" || return 1
}

# After the restart: job $1 ($2, over $3) SUCCEEDED with its image installed, the device gone
# and no record left; sets after and after_requests (what the cloud served since the kill).
finishes() {
    local job_id=$1 version=$2 proto=$3 base=${4:-0} base_requests=${5:-0}
    ends_as "$job_id" SUCCEEDED || why "job $job_id ended $(env_status "$job_id" "$thing")" || return 1
    installed "$version" || why "firmware-$version.bin is not the cloud's" || return 1
    device_exits || why "the device did not exit after its accepted update" || return 1
    [ ! -e "$dev/images/$record_name" ] || why "the resume record is still there after SUCCEEDED" || return 1
    [ ! -e "$dev/images/$record_name.tmp" ] || why "a stray $record_name.tmp is left" || return 1
    grep -q "running v$version, update 1 accepted" "$dev/device.log" || why "v$version was not accepted" || return 1
    after=$(($(served "$job_id" "$proto") - base))
    after_requests=$(($(requests "$job_id" "$proto") - base_requests))
}

counts() {
    note="$total blocks; before kill $before ($before_requests requests); after restart $after ($after_requests requests)${1:+; $1}"
}

# The restart resumes: it says how many blocks it still needs, the cloud serves those and only
# those (at most one request window more), and that is the rest of what it served before the
# kill, give or take the blocks not yet saved (saveEveryBlocks) and one window in flight.
resumes() {
    local job_id=$1 version=$2 proto=$3 line needed
    half_then_kill "$job_id" "$version" "$proto" || return 1
    boot_device
    finishes "$job_id" "$version" "$proto" "$before" "$before_requests" || return 1
    line=$(grep -o "Resuming the download: [0-9]* of [0-9]* blocks still needed" "$dev/device.log" | head -n 1 || true)
    [ -n "$line" ] || why "the restarted device did not resume" || return 1
    needed=$(echo "$line" | awk '{print $4}')
    [ "$(echo "$line" | awk '{print $6}')" = "$total" ] || why "$line: not of $total blocks" || return 1
    [ "$after" -lt "$total" ] || why "the cloud served $after of $total blocks after the restart" || return 1
    [ "$after" -ge "$needed" ] && [ "$after" -le $((needed + window)) ] ||
        why "the device needed $needed blocks, the cloud served $after" || return 1
    [ "$after" -ge $((total - before)) ] && [ "$after" -le $((total - before + every + window)) ] ||
        why "after restart $after, expected $((total - before))..$((total - before + every + window))" || return 1
    counts "resumed with $needed needed"
}

# The restart starts over from block 0 and the cloud serves the whole file once, plus one
# window for each request beyond the fewest that cover the file: a window that went quiet on a
# slow cloud is asked for again, and the cloud then serves it twice.
starts_over() {
    local job_id=$1 proto=$2 w=$window extra
    [ "$proto" = HTTP ] && w=1
    extra=$((after_requests - (total + w - 1) / w))
    [ "$extra" -gt 0 ] || extra=0
    grep -q "The saved download is not this job's; starting from block 0" "$dev/device.log" ||
        why "the device did not say it starts from block 0" || return 1
    ! grep -q "Resuming the download" "$dev/device.log" || why "the device resumed from a record that is not this download" || return 1
    [ "$after" -ge "$total" ] && [ "$after" -le $((total + w * extra)) ] ||
        why "the cloud served $after blocks in $after_requests requests after the restart, not the $total of the file (at most $((total + w * extra)))" || return 1
}

# ------------------------------------------------------------------------------ scenarios --

s_mqtt() {
    new_thing mqtt
    faults delay_ms=200
    resumes rsm-1 1.1.0 MQTT
}

s_http() {
    new_thing http
    faults http_delay_ms=50
    resumes rsh-1 1.1.0 HTTP
}

s_corrupt() {
    local size byte
    new_thing corrupt
    faults delay_ms=200
    half_then_kill rsc-1 1.1.0 MQTT || return 1
    # One byte in the middle of the header (the file size) flipped: the CRC no longer matches.
    size=$(stat -c %s "$dev/images/$record_name")
    byte=$(od -An -tu1 -j 9 -N 1 "$dev/images/$record_name" | tr -d ' ')
    printf "\\x$(printf %02x $((byte ^ 0xff)))" | dd of="$dev/images/$record_name" bs=1 seek=9 conv=notrunc status=none
    [ "$(stat -c %s "$dev/images/$record_name")" = "$size" ] &&
        ! [ "$(od -An -tu1 -j 9 -N 1 "$dev/images/$record_name" | tr -d ' ')" = "$byte" ] ||
        why "flipping a byte of the record failed" || return 1
    boot_device
    finishes rsc-1 1.1.0 MQTT "$before" "$before_requests" || return 1
    starts_over rsc-1 MQTT || return 1
    counts "record corrupted: from block 0"
}

s_other_job() {
    local first_total first_served
    new_thing other-job
    faults delay_ms=200
    half_then_kill rso-1 1.1.0 MQTT || return 1
    "$SIM" control --state "$work/cloud" cancel rso-1
    for _ in $(seq 50); do [ "$(env_status rso-1 "$thing")" = CANCELED ] && break; sleep 0.1; done
    [ "$(env_status rso-1 "$thing")" = CANCELED ] || why "the cloud did not cancel rso-1" || return 1
    job rso-2 1.2.0 MQTT
    for _ in $(seq 50); do [ "$(env_status rso-2 "$thing")" = QUEUED ] && break; sleep 0.1; done
    [ "$(env_status rso-2 "$thing")" = QUEUED ] || why "the cloud did not queue rso-2" || return 1
    first_total=$total
    first_served=$before
    total=$(blocks_of 1.2.0)
    boot_device
    finishes rso-2 1.2.0 MQTT 0 0 || return 1
    starts_over rso-2 MQTT || return 1
    [ "$(served rso-1 MQTT)" -eq "$first_served" ] || why "the cloud served rso-1 after the restart" || return 1
    ! installed 1.1.0 || why "the canceled job's image was completed" || return 1
    note="first job $first_total blocks, before kill $first_served ($before_requests requests), then canceled; second job $total blocks, after restart $after ($after_requests requests): from block 0"
}

env_scenarios 10 "resume scenarios" mqtt corrupt other-job http -- "$@"
