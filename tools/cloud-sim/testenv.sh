# Shared by scripts/demo.sh, scripts/broker-scenarios.sh, scripts/resume-scenarios.sh and
# scripts/fleet.sh (sourced): builds the simulator and the device, makes a local PKI, runs
# mosquitto on a free loopback port.
# Callers set $root and $work (a fresh folder) and call env_cleanup on exit (env_cleanup_on_exit).

env_say() { printf '%s: %s\n' "${env_name:-broker}" "$*"; }
env_fail() { printf '%s: %s\n' "${env_name:-broker}" "$*" >&2; exit 1; }

env_pids=()

# Every process started here is stopped here, by its own pid.
env_cleanup() {
    local pid
    for pid in "${env_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${env_pids[@]}"; do
        # Bounded: 50 x 0.1 s, then SIGKILL.
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    env_pids=()
}

# On exit: every process stopped, and $work removed unless the run failed or the variable
# named $1 (e.g. OTA_DEMO_KEEP) is 1.
env_cleanup_on_exit() {
    env_keep_var=$1
    trap env_finish EXIT
}

env_finish() {
    local status=$?
    env_cleanup
    if [ "$status" -eq 0 ] && [ "${!env_keep_var:-0}" != 1 ]; then rm -rf "$work"; else env_say "files kept in $work"; fi
}

# The usual start: tools, builds, local PKI, code signer, then mosquitto (or the stand-in).
env_up() {
    env_tools
    env_build
    env_pki
    env_signer
    env_broker_config
    env_broker_start
}

# Runs the scenarios named after "--" (all of those before it when none is named): function
# s_<name> each, then the caller's stop_device and no_faults; prints PASS or FAIL with the
# scenario's $note (or $reason) and the device log's tail; exits 1 when any failed. $1 is the
# width of the name column, $2 the summary's label.
env_scenarios() {
    local width=$1 label=$2 name fn started passed=0 failed=0 all=() chosen=() failed_names=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != -- ]; do all+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    chosen=("$@")
    [ ${#chosen[@]} -gt 0 ] || chosen=("${all[@]}")
    for name in "${chosen[@]}"; do
        fn="s_${name//-/_}"
        declare -F "$fn" >/dev/null || env_fail "unknown scenario $name (one of: ${all[*]})"
        note=""
        reason=""
        started=$(date +%s)
        if "$fn"; then
            passed=$((passed + 1))
            printf "PASS  %-${width}s %3ss  %s\n" "$name" $(($(date +%s) - started)) "$note"
        else
            failed=$((failed + 1))
            failed_names+=("$name")
            printf "FAIL  %-${width}s %3ss  %s; device log: %s\n" "$name" $(($(date +%s) - started)) \
                "${reason:-failed}" "${dev#"$work"/}/device.log"
            tail -n 8 "$dev/device.log" 2>/dev/null | tr '\r' '\n' | sed 's/^/      /'
        fi
        stop_device
        no_faults
    done
    echo
    echo "$label: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] || { env_say "failed: ${failed_names[*]}"; exit 1; }
}

env_tools() {
    local missing=()
    local have_mosquitto=0
    { command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; } && have_mosquitto=1
    # Without mosquitto and without root, the simulator's own broker stands in.
    [ "$have_mosquitto" = 1 ] || [ "$(id -u)" != 0 ] || missing+=(mosquitto)
    pkg-config --exists libmosquitto 2>/dev/null || missing+=(libmosquitto-dev)
    pkg-config --exists libcurl 2>/dev/null || missing+=(libcurl4-openssl-dev)
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    command -v jq >/dev/null 2>&1 || missing+=(jq)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" = 0 ]; then
            env_say "installing ${missing[*]}"
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
                >"$work/apt.log" 2>&1 || env_fail "apt-get install ${missing[*]} failed (see $work/apt.log)"
        else
            env_fail "missing ${missing[*]}: run  sudo apt-get install ${missing[*]}"
        fi
    fi
    MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    BROKER_KIND=${OTA_BROKER:-mosquitto}
    [ -x "$MOSQUITTO" ] || BROKER_KIND=embedded
    case "$BROKER_KIND" in mosquitto | embedded) ;; *) env_fail "OTA_BROKER must be mosquitto or embedded" ;; esac
    # The name devices connect to (see tools/cloud-sim/src/broker.rs on SNI); both are loopback.
    BROKER_HOST=127.0.0.1
    [ "$BROKER_KIND" = mosquitto ] || BROKER_HOST=localhost
}

env_build() {
    local log="$work/build.log"
    env_say "building tools/cloud-sim and examples/linux_device (log: $log)"
    (cd "$root/tools/cloud-sim" && cargo build --release --quiet) >"$log" 2>&1 ||
        { tail -20 "$log" >&2; env_fail "building the cloud simulator failed"; }
    SIM="$root/tools/cloud-sim/target/release/cloud-sim"
    local b="$root/build/linux_device"
    DEVICE_BUILD="$b"
    # For a machine where libota.a is mid-change: reuse the last device build as it is.
    if [ "${OTA_REUSE_DEVICE_BUILD:-0}" = 1 ] && [ -x "$b/linux_device_v3" ]; then
        env_say "reusing the device build in ${b#"$root"/} (OTA_REUSE_DEVICE_BUILD=1)"
        return 0
    fi
    { cmake -S "$root/examples/linux_device" -B "$b" -DCMAKE_BUILD_TYPE=Release &&
      cmake --build "$b" --parallel 2; } >>"$log" 2>&1 ||
        { tail -20 "$log" >&2; env_fail "building the Linux device failed"; }
}

# A local CA, the broker's certificate (127.0.0.1, localhost), the cloud's client certificate.
env_pki() {
    local p="$work/pki"
    mkdir -p "$p"
    {
        openssl ecparam -name prime256v1 -genkey -noout -out "$p/ca.key" &&
        openssl req -new -x509 -key "$p/ca.key" -subj "/CN=ota-rs test CA" -days 2 -out "$p/ca.pem" &&
        env_cert broker "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth" &&
        env_cert cloud-sim ""
    } >"$p/openssl.log" 2>&1 || { cat "$p/openssl.log" >&2; env_fail "making the test PKI failed"; }
}

# env_cert NAME [EXTENSIONS]: NAME.key and NAME.pem with CN=NAME, signed by the test CA; a
# client certificate unless EXTENSIONS say otherwise.
env_cert() {
    local p="$work/pki" name=$1 ext=${2:-extendedKeyUsage=clientAuth}
    openssl ecparam -name prime256v1 -genkey -noout -out "$p/$name.key.sec1" &&
    openssl pkcs8 -topk8 -nocrypt -in "$p/$name.key.sec1" -out "$p/$name.key" &&
    rm -f "$p/$name.key.sec1" &&
    openssl req -new -key "$p/$name.key" -subj "/CN=$name" -out "$p/$name.csr" &&
    # X.509 v3 with its purpose: rustls (webpki) refuses v1 certificates.
    openssl x509 -req -in "$p/$name.csr" -CA "$p/ca.pem" -CAkey "$p/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
        -days 2 -out "$p/$name.pem" -extfile <(printf 'basicConstraints=CA:FALSE\n%s\n' "$ext") &&
    rm -f "$p/$name.csr"
}

# The code-signing key and the certificate devices trust.
env_signer() {
    local p="$work/pki"
    {
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$p/signer.key" &&
        openssl req -new -x509 -key "$p/signer.key" -subj "/CN=ota-rs code signer" -days 2 -out "$p/signer.pem"
    } >>"$p/openssl.log" 2>&1 || env_fail "making the code-signing key failed"
}

# A port nothing on 127.0.0.1 answers on, from the range Linux does not hand out to clients.
env_free_port() {
    local port
    # Bounded: 100 tries.
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# Starts mosquitto with TLS, required client certificates and a per-thing ACL on $BROKER_PORT
# (or, with BROKER_KIND=embedded, the simulator's own broker: TLS and certificates, no ACL).
env_broker_config() {
    BROKER_PORT=${BROKER_PORT:-$(env_free_port)}
    local b="$work/broker"
    mkdir -p "$b"
    cat >"$b/acl" <<ACL
user cloud-sim
topic readwrite \$aws/#

pattern readwrite \$aws/things/%u/#
ACL
    # Run as root, mosquitto would switch to its own user, who cannot read this private folder.
    local user_line=""
    [ "$(id -u)" = 0 ] && user_line="user root"
    cat >"$b/mosquitto.conf" <<CONF
$user_line
per_listener_settings false
allow_anonymous false
persistence false
log_dest file $b/broker.log
log_type error
log_type warning
log_type notice
connection_messages true
max_queued_messages 100000
max_inflight_messages 0
acl_file $b/acl
listener $BROKER_PORT 127.0.0.1
cafile $work/pki/ca.pem
certfile $work/pki/broker.pem
keyfile $work/pki/broker.key
require_certificate true
use_identity_as_username true
tls_version tlsv1.2
CONF
}

env_broker_start() {
    local b="$work/broker"
    # One descriptor per device connection.
    ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true
    if [ "$BROKER_KIND" = embedded ]; then
        "$SIM" broker --port "$BROKER_PORT" --ca "$work/pki/ca.pem" --cert "$work/pki/broker.pem" \
            --key "$work/pki/broker.key" --run-seconds 7200 >>"$b/broker.log" 2>&1 &
    else
        "$MOSQUITTO" -c "$b/mosquitto.conf" >>"$b/stdout.log" 2>&1 &
    fi
    BROKER_PID=$!
    env_pids+=("$BROKER_PID")
    # Bounded: 50 x 0.1 s for the port to open.
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    cat "$b/broker.log" >&2 2>/dev/null
    env_fail "the $BROKER_KIND broker did not start on 127.0.0.1:$BROKER_PORT"
}

env_broker_stop() {
    kill "$BROKER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$BROKER_PID" 2>/dev/null || true
}

# Starts the simulator on the broker; extra arguments go to `serve`.
env_sim_start() {
    local s="$work/cloud"
    mkdir -p "$s"
    "$SIM" serve --state "$s" --broker "127.0.0.1:$BROKER_PORT" --ca "$work/pki/ca.pem" \
        --cert "$work/pki/cloud-sim.pem" --key "$work/pki/cloud-sim.key" "$@" >"$s/sim.log" 2>&1 &
    SIM_PID=$!
    env_pids+=("$SIM_PID")
    # Bounded: 100 x 0.1 s for the simulator's first summary.
    for _ in $(seq 100); do
        [ -s "$s/summary.json" ] && grep -q 'connected to the broker' "$s/sim.log" && return 0
        sleep 0.1
    done
    cat "$s/sim.log" >&2
    env_fail "the cloud simulator did not start"
}

# env_device NAME DIR [device options...]: a device process for thing NAME, output in DIR/device.log.
env_device() {
    local thing=$1 dir=$2
    shift 2
    mkdir -p "$dir/trust" "$dir/images"
    [ -f "$work/pki/$thing.pem" ] || env_cert "$thing" "" >>"$work/pki/openssl.log" 2>&1
    cp "$work/pki/signer.pem" "$dir/trust/signer.pem"
    cp "$DEVICE_BUILD/linux_device_v1" "$dir/images/factory.bin"
    "$dir/images/factory.bin" --endpoint "$BROKER_HOST" --port "$BROKER_PORT" --root-ca "$work/pki/ca.pem" \
        --cert "$work/pki/$thing.pem" --key "$work/pki/$thing.key" --thing "$thing" \
        --device-dir "$dir" "$@" >"$dir/device.log" 2>&1 &
    DEVICE_PID=$!
    env_pids+=("$DEVICE_PID")
}

env_job() {
    "$SIM" create-job --state "$work/cloud" --signing-key "$work/pki/signer.key" --certfile signer.pem "$@" \
        >>"$work/cloud/jobs.log" 2>&1 || { cat "$work/cloud/jobs.log" >&2; env_fail "creating the job failed"; }
}

env_wait() {
    "$SIM" wait --state "$work/cloud" "$@"
}

env_status() { # env_status JOB THING
    jq -r --arg j "$1" --arg t "$2" '.jobs[] | select(.jobId==$j) | .things[$t].status' "$work/cloud/summary.json"
}
