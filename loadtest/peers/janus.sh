#!/usr/bin/env bash
# loadtest/peers/janus.sh — run Janus (Debian package 1.1.2, VideoRoom plugin)
# as the comparison SFU for the Confide load-test harness.
#
# Usage (as root):
#   janus.sh install
#   janus.sh start [--http-port N] [--ws-port N] [--mode private|loopback]
#                  [--debug-level N] [--event-loops N] [--min-nack-queue MS]
#   janus.sh stop
#   janus.sh status
#
# Why a network namespace: Janus never gathers ICE host candidates on loopback
# interfaces (tested: with ice_enforce_list = "127.0.0.1" every offer fails with
# "Error gathering candidates" / API error 490 "Error setting ICE locally"), so a
# Janus on 127.0.0.1 cannot do media with a client on the same machine.  `start`
# therefore runs Janus inside its own
# network namespace, joined to the root namespace by a veth pair, and makes
# Janus gather its (only) host candidate on the namespace end of that pair:
#
#   root netns                              netns $JANUS_NETNS
#   ----------                              ------------------
#   harness  ── cjanus-h  <══ veth ══>  cjanus-n ── janus
#               $JANUS_CLIENT_IP            $JANUS_MEDIA_IP
#     --mode private  (default): 10.200.0.1/30       10.200.0.2/30
#     --mode loopback          : 127.0.0.3/32        127.0.0.2/32
#                                (route_localnet=1 on both veth ends plus /32
#                                 routes in table "local"; see JANUS.md)
#
# Nothing leaves the machine: the only addresses involved are the ones created
# here on the veth pair; the namespace has no default route, and the root
# namespace's ip_forward setting is left untouched.
#
# `start` prints, on stdout, one KEY=value per line:
#   JANUS_WS, JANUS_PID, JANUS_NETNS, JANUS_MEDIA_IP, JANUS_CLIENT_IP,
#   JANUS_RTP_PORTS, JANUS_HTTP (only with --http-port), JANUS_RUN_DIR, JANUS_LOG
# and returns once Janus answers a Janus-API "info" request on its websocket
# from the root namespace. Everything else (progress, errors) goes to stderr.
#
# Environment overrides (optional):
#   JANUS_RUN_DIR   run/state directory          (default /tmp/confide-janus)
#   JANUS_NETNS     network namespace name       (default confide-janus)
#   JANUS_RTP_RANGE UDP port range for media     (default 20000-40000)
#   JANUS_START_TIMEOUT seconds to wait for the websocket (default 30)
#
# See loadtest/peers/JANUS.md for the Janus API protocol as the harness must
# speak it, and loadtest/peers/janus_smoke.py for an end-to-end check.

set -euo pipefail

readonly JANUS_VERSION_WANTED="1.1.2"
readonly RUN_DIR="${JANUS_RUN_DIR:-/tmp/confide-janus}"
readonly NETNS="${JANUS_NETNS:-confide-janus}"
readonly VETH_HOST="cjanus-h"      # root-namespace end
readonly VETH_NS="cjanus-n"        # namespace end
readonly RTP_RANGE="${JANUS_RTP_RANGE:-20000-40000}"
readonly START_TIMEOUT="${JANUS_START_TIMEOUT:-30}"
readonly STOP_TIMEOUT=10
readonly MARKER=".confide-janus-rundir"
readonly STATE_FILE="$RUN_DIR/state.env"
readonly LIBDIR_CANDIDATES=(/usr/lib/x86_64-linux-gnu/janus /usr/lib/aarch64-linux-gnu/janus /usr/lib/janus)

log() { printf 'janus.sh: %s\n' "$*" >&2; }
die() { printf 'janus.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

require_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (needs apt-get, ip netns, veth)"
}

need_cmd() {
    command -v "$1" >/dev/null 2>&1 || die "required command '$1' not found${2:+ ($2)}"
}

janus_libdir() {
    local d
    for d in "${LIBDIR_CANDIDATES[@]}"; do
        if [[ -e "$d/plugins/libjanus_videoroom.so" && -e "$d/transports/libjanus_websockets.so" ]]; then
            echo "$d"; return 0
        fi
    done
    return 1
}

# ---------------------------------------------------------------- install ---

cmd_install() {
    require_root
    local ver
    if command -v janus >/dev/null 2>&1 && janus_libdir >/dev/null; then
        ver=$(janus --version 2>/dev/null | sed -n 's/^Janus version: [0-9]* (\(.*\))$/\1/p' || true)
        log "janus already installed (version ${ver:-unknown})"
    else
        need_cmd apt-get
        export DEBIAN_FRONTEND=noninteractive
        # Try without refreshing first (cheap); refresh the index only if the
        # package is unknown or its files are gone from the mirror.
        if ! apt-get install -y -q --no-install-recommends janus >&2; then
            log "apt-get install failed; running apt-get update and retrying"
            timeout 300 apt-get update -q >&2 || die "apt-get update failed"
            timeout 600 apt-get install -y -q --no-install-recommends janus >&2 \
                || die "apt-get install janus failed"
        fi
        # Debian enables janus.service; we never want the system instance
        # (policy-rc.d usually blocks it in containers anyway).
        if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
            systemctl disable --now janus.service >/dev/null 2>&1 || true
        fi
        ver=$(janus --version 2>/dev/null | sed -n 's/^Janus version: [0-9]* (\(.*\))$/\1/p' || true)
        log "installed janus ${ver:-unknown}"
    fi
    janus_libdir >/dev/null || die "janus is installed but its plugin directory was not found"
    if [[ -n "${ver:-}" && "$ver" != "$JANUS_VERSION_WANTED" ]]; then
        log "warning: expected janus $JANUS_VERSION_WANTED, found $ver (protocol notes in JANUS.md are for $JANUS_VERSION_WANTED)"
    fi
}

# ------------------------------------------------------------------ state ---

state_get() { # key -> value from state file (empty if absent)
    [[ -f "$STATE_FILE" ]] || return 0
    sed -n "s/^$1=//p" "$STATE_FILE" | tail -n1
}

pid_is_janus() { # pid -> true if that pid is a live janus process
    local pid="$1"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/comm" ]] || return 1
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "janus" ]]
}

# Probe the Janus API over the websocket from the *root* namespace: do the
# HTTP upgrade with subprotocol janus-protocol, send a masked text frame with
# {"janus":"info"} and look for "server_info" in the reply.
ws_probe() { # ip port -> 0 if Janus answered
    local ip="$1" port="$2"
    # shellcheck disable=SC2016  # the script is expanded by the inner bash
    timeout 5 bash -c '
        set -e
        exec 3<>"/dev/tcp/$1/$2"
        printf "GET / HTTP/1.1\r\nHost: %s:%s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: Y29uZmlkZS1qYW51cy1wcm9iZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: janus-protocol\r\n\r\n" "$1" "$2" >&3
        payload="{\"janus\":\"info\",\"transaction\":\"janus-sh-probe\"}"
        len=${#payload}
        # FIN+text opcode, MASK bit + length (<126), zero masking key, payload
        printf "\\x81\\x$(printf %02x $((128 + len)))\\x00\\x00\\x00\\x00%s" "$payload" >&3
        timeout 3 cat <&3 | grep -a -q -m1 "server_info"
    ' _ "$ip" "$port" 2>/dev/null
}

# ------------------------------------------------------------------ start ---

cleanup_on_failure() {
    local rc=$?
    if [[ $rc -ne 0 ]]; then
        log "start failed (rc=$rc); cleaning up"
        if [[ -s "$RUN_DIR/janus.log" ]]; then
            log "---- last 40 lines of $RUN_DIR/janus.log ----"
            tail -n 40 "$RUN_DIR/janus.log" >&2 || true
        else
            log "(no janus log written yet)"
        fi
        if [[ -s "$RUN_DIR/janus.stdout" ]]; then
            log "---- last 20 lines of janus stdout/stderr ----"
            tail -n 20 "$RUN_DIR/janus.stdout" >&2 || true
        fi
        do_stop quiet || true
    fi
}

write_configs() { # libdir media_ip ws_port http_port debug_level event_loops min_nack_queue
    local libdir="$1" media_ip="$2" ws_port="$3" http_port="$4" debug_level="$5" event_loops="$6" min_nack="$7"
    local cfg="$RUN_DIR/etc"
    mkdir -p "$cfg" "$RUN_DIR/plugins" "$RUN_DIR/transports" "$RUN_DIR/events" "$RUN_DIR/loggers"
    # Private module folders holding only what we need: Janus loads every .so
    # in its folders, so this is the surest way to keep everything else out.
    ln -sf "$libdir/plugins/libjanus_videoroom.so" "$RUN_DIR/plugins/libjanus_videoroom.so"
    ln -sf "$libdir/transports/libjanus_websockets.so" "$RUN_DIR/transports/libjanus_websockets.so"
    local transports_disable="libjanus_http.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
    if [[ -n "$http_port" ]]; then
        ln -sf "$libdir/transports/libjanus_http.so" "$RUN_DIR/transports/libjanus_http.so"
        transports_disable="libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
    fi
    local loops_line="#event_loops = 0 (default: one thread per handle)"
    if [[ "$event_loops" != "0" ]]; then loops_line="event_loops = $event_loops"; fi

    cat >"$cfg/janus.jcfg" <<EOF
# Generated by loadtest/peers/janus.sh — do not edit, regenerated on start.
general: {
	configs_folder = "$cfg"
	plugins_folder = "$RUN_DIR/plugins"
	transports_folder = "$RUN_DIR/transports"
	events_folder = "$RUN_DIR/events"
	loggers_folder = "$RUN_DIR/loggers"
	log_to_stdout = false
	log_to_file = "$RUN_DIR/janus.log"
	debug_level = $debug_level
	debug_timestamps = true
	debug_colors = false
	pid_file = "$RUN_DIR/janus.pid"
	server_name = "confide-loadtest-janus"
	interface = "$media_ip"			# local IP used in SDP (c= / o= lines)
	session_timeout = 60			# clients must send a keepalive at least every <60 s
	reclaim_session_timeout = 0		# websocket gone => sessions destroyed at once
	candidates_timeout = 45
	$loops_line
	exit_on_dl_error = true
	# no api_secret, no token_auth, no admin_secret: the Admin API is not exposed
	protected_folders = [ "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr", "/var" ]
}
certificates: {
	# no cert: Janus generates a self-signed DTLS certificate at start-up
	dtls_accept_selfsigned = true
}
media: {
	ipv6 = false
	min_nack_queue = $min_nack			# ms of sent packets kept for NACK retransmission (at least)
	rtp_port_range = "$RTP_RANGE"
	dtls_mtu = 1200
	no_media_timer = 1				# 'media' receiving:false event after 1 s without media
	slowlink_threshold = 0			# no 'slowlink' events
	twcc_period = 200				# ms between transport-cc feedback packets (when negotiated)
	nack_optimizations = false
}
nat: {
	nice_debug = false
	full_trickle = false			# half-trickle: Janus puts its candidates in its SDP
	ice_lite = false				# full ICE (Janus sends connectivity checks too)
	ice_tcp = false
	ignore_mdns = true
	ice_enforce_list = "$media_ip"	# the only address Janus gathers a host candidate on
	# no stun_server / turn_server / nat_1_1_mapping: everything is host-to-host on this machine
}
plugins: {
	disable = "libjanus_audiobridge.so,libjanus_duktape.so,libjanus_echotest.so,libjanus_lua.so,libjanus_nosip.so,libjanus_recordplay.so,libjanus_sip.so,libjanus_streaming.so,libjanus_textroom.so,libjanus_videocall.so,libjanus_voicemail.so"
}
transports: {
	disable = "$transports_disable"
}
loggers: {
	disable = "libjanus_jsonlog.so"
}
events: {
	broadcast = false
	disable = "libjanus_gelfevh.so,libjanus_mqttevh.so,libjanus_nanomsgevh.so,libjanus_rabbitmqevh.so,libjanus_sampleevh.so,libjanus_wsevh.so"
	stats_period = 0
}
EOF

    cat >"$cfg/janus.plugin.videoroom.jcfg" <<EOF
# Generated by loadtest/peers/janus.sh. No static rooms: the harness creates
# rooms through the API ({"request":"create",...}); with admin_key unset,
# any session may create rooms.
general: {
	#admin_key unset on purpose
	lock_rtp_forward = true
	events = false					# nothing to event handlers (they are disabled anyway)
	string_ids = false				# numeric room and participant ids
}
EOF

    cat >"$cfg/janus.transport.websockets.jcfg" <<EOF
# Generated by loadtest/peers/janus.sh
general: {
	events = false
	json = "compact"
	pingpong_trigger = 30
	pingpong_timeout = 10
	ws = true
	ws_port = $ws_port
	ws_ip = "$media_ip"
	wss = false
	ws_logging = "err,warn"
}
admin: {
	admin_ws = false
	admin_wss = false
}
cors: {
}
EOF

    if [[ -n "$http_port" ]]; then
        cat >"$cfg/janus.transport.http.jcfg" <<EOF
# Generated by loadtest/peers/janus.sh (only because --http-port was given)
general: {
	events = false
	json = "compact"
	base_path = "/janus"
	http = true
	port = $http_port
	ip = "$media_ip"
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
cors: {
}
EOF
    fi
}

setup_netns() { # mode host_ip ns_ip prefix
    local mode="$1" host_ip="$2" ns_ip="$3" prefix="$4"
    ip netns add "$NETNS"
    ip link add "$VETH_HOST" type veth peer name "$VETH_NS"
    ip link set "$VETH_NS" netns "$NETNS"
    ip -n "$NETNS" link set lo up
    if [[ "$mode" == "loopback" ]]; then
        # 127/8 on a veth: allowed only with route_localnet on both ends, and
        # the peer address must be routed in table "local", which otherwise
        # claims all of 127/8 for lo (rule 0 looks it up before "main").
        ip -n "$NETNS" addr add "$ns_ip/32" dev "$VETH_NS"
        ip addr add "$host_ip/32" dev "$VETH_HOST"
        sysctl -q -w "net.ipv4.conf.$VETH_HOST.route_localnet=1"
        ip netns exec "$NETNS" sysctl -q -w "net.ipv4.conf.$VETH_NS.route_localnet=1" net.ipv4.conf.all.route_localnet=1
        ip link set "$VETH_HOST" up
        ip -n "$NETNS" link set "$VETH_NS" up
        ip route add "$ns_ip/32" dev "$VETH_HOST" src "$host_ip" table local
        ip -n "$NETNS" route add "$host_ip/32" dev "$VETH_NS" src "$ns_ip" table local
    else
        ip -n "$NETNS" addr add "$ns_ip/$prefix" dev "$VETH_NS"
        ip addr add "$host_ip/$prefix" dev "$VETH_HOST"
        ip link set "$VETH_HOST" up
        ip -n "$NETNS" link set "$VETH_NS" up
    fi
    # Sanity: the root namespace must route the media IP over our veth.
    local via
    via=$(ip -4 route get "$ns_ip" 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -n1)
    [[ "$via" == "$VETH_HOST" ]] || die "root namespace routes $ns_ip via '${via:-nothing}', not $VETH_HOST"
    # Wait (bounded) for the link to carry traffic: the ns end must answer ARP.
    local i
    for ((i = 0; i < 50; i++)); do
        if ip netns exec "$NETNS" ip -4 addr show dev "$VETH_NS" | grep -q "inet $ns_ip/" \
           && [[ "$(cat "/sys/class/net/$VETH_HOST/operstate" 2>/dev/null)" == "up" ]]; then
            return 0
        fi
        sleep 0.1
    done
    die "veth $VETH_HOST did not come up within 5 s"
}

cmd_start() {
    require_root
    local http_port="" ws_port=8188 mode="private" debug_level=3 event_loops=0 min_nack=200
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --http-port) [[ $# -ge 2 ]] || die "--http-port needs a value"; http_port="$2"; shift 2 ;;
            --http-port=*) http_port="${1#*=}"; shift ;;
            --ws-port) [[ $# -ge 2 ]] || die "--ws-port needs a value"; ws_port="$2"; shift 2 ;;
            --ws-port=*) ws_port="${1#*=}"; shift ;;
            --mode) [[ $# -ge 2 ]] || die "--mode needs a value"; mode="$2"; shift 2 ;;
            --mode=*) mode="${1#*=}"; shift ;;
            --debug-level) [[ $# -ge 2 ]] || die "--debug-level needs a value"; debug_level="$2"; shift 2 ;;
            --debug-level=*) debug_level="${1#*=}"; shift ;;
            --event-loops) [[ $# -ge 2 ]] || die "--event-loops needs a value"; event_loops="$2"; shift 2 ;;
            --event-loops=*) event_loops="${1#*=}"; shift ;;
            --min-nack-queue) [[ $# -ge 2 ]] || die "--min-nack-queue needs a value"; min_nack="$2"; shift 2 ;;
            --min-nack-queue=*) min_nack="${1#*=}"; shift ;;
            -h|--help) usage ;;
            *) die "unknown option for start: $1" ;;
        esac
    done
    [[ "$ws_port" =~ ^[0-9]+$ && "$ws_port" -ge 1 && "$ws_port" -le 65535 ]] || die "bad --ws-port: $ws_port"
    if [[ -n "$http_port" ]]; then
        [[ "$http_port" =~ ^[0-9]+$ && "$http_port" -ge 1 && "$http_port" -le 65535 ]] || die "bad --http-port: $http_port"
        [[ "$http_port" != "$ws_port" ]] || die "--http-port and --ws-port must differ"
    fi
    [[ "$debug_level" =~ ^[0-7]$ ]] || die "bad --debug-level: $debug_level (0-7)"
    [[ "$event_loops" =~ ^[0-9]+$ ]] || die "bad --event-loops: $event_loops"
    [[ "$min_nack" =~ ^[0-9]+$ ]] || die "bad --min-nack-queue: $min_nack (milliseconds)"
    [[ "$RTP_RANGE" =~ ^([0-9]+)-([0-9]+)$ ]] || die "bad JANUS_RTP_RANGE: $RTP_RANGE"
    [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "bad JANUS_START_TIMEOUT: $START_TIMEOUT"

    local host_ip ns_ip prefix
    case "$mode" in
        private)  host_ip="10.200.0.1"; ns_ip="10.200.0.2"; prefix=30 ;;
        loopback) host_ip="127.0.0.3";  ns_ip="127.0.0.2";  prefix=32 ;;
        *) die "bad --mode: $mode (private|loopback)" ;;
    esac

    need_cmd ip "iproute2"
    need_cmd janus "run: $0 install"
    need_cmd timeout "coreutils"
    local libdir
    libdir=$(janus_libdir) || die "janus plugin directory not found; run: $0 install"

    # Refuse to clobber a running instance or foreign network state.
    if [[ -f "$STATE_FILE" ]] && pid_is_janus "$(state_get JANUS_PID)"; then
        die "janus already running (pid $(state_get JANUS_PID)); run: $0 stop"
    fi
    if ip netns list 2>/dev/null | grep -qw "^$NETNS"; then
        die "network namespace $NETNS already exists (stale?); run: $0 stop"
    fi
    if ip link show "$VETH_HOST" >/dev/null 2>&1; then
        die "interface $VETH_HOST already exists (stale?); run: $0 stop"
    fi
    if [[ "$mode" == "private" ]]; then
        local clash
        clash=$(ip -4 -o addr show to "$host_ip/$prefix" 2>/dev/null || true)
        [[ -z "$clash" ]] || die "$host_ip/$prefix already in use on this machine: $clash"
        clash=$(ip -4 route show match "$ns_ip" 2>/dev/null | grep -v '^default' || true)
        [[ -z "$clash" ]] || die "a route already covers $ns_ip ($clash); refusing to shadow it"
    fi

    if [[ -e "$RUN_DIR" && ! -f "$RUN_DIR/$MARKER" ]]; then
        die "$RUN_DIR exists and was not created by this script; set JANUS_RUN_DIR elsewhere"
    fi
    rm -rf -- "$RUN_DIR"
    mkdir -p "$RUN_DIR"
    chmod 700 "$RUN_DIR"
    touch "$RUN_DIR/$MARKER"

    trap cleanup_on_failure EXIT

    {
        echo "JANUS_NETNS=$NETNS"
        echo "JANUS_MODE=$mode"
        echo "JANUS_MEDIA_IP=$ns_ip"
        echo "JANUS_CLIENT_IP=$host_ip"
        echo "JANUS_WS_PORT=$ws_port"
        echo "JANUS_HTTP_PORT=$http_port"
    } >"$STATE_FILE"

    log "creating netns $NETNS with veth $VETH_HOST($host_ip) <-> $VETH_NS($ns_ip) [mode $mode]"
    setup_netns "$mode" "$host_ip" "$ns_ip" "$prefix"

    write_configs "$libdir" "$ns_ip" "$ws_port" "$http_port" "$debug_level" "$event_loops" "$min_nack"

    log "starting janus in netns $NETNS"
    # The subshell raises the fd limit (Janus uses a few fds per handle: UDP
    # socket, event loop, ...) and then `exec`s `ip netns exec`, which execs
    # janus in place, so $! is Janus's own pid (cross-checked against Janus's
    # pid_file below). Janus's stdio goes to files so that a caller capturing
    # our stdout (e.g. Command::output()) is not kept waiting by Janus.
    (
        ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
        exec ip netns exec "$NETNS" janus -C "$RUN_DIR/etc/janus.jcfg" -F "$RUN_DIR/etc"
    ) </dev/null >"$RUN_DIR/janus.stdout" 2>&1 &
    local pid=$!
    echo "JANUS_PID=$pid" >>"$STATE_FILE"

    local deadline=$((SECONDS + START_TIMEOUT)) ok=0
    while ((SECONDS < deadline)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            die "janus exited during start-up"
        fi
        if ws_probe "$ns_ip" "$ws_port"; then ok=1; break; fi
        sleep 0.2
    done
    ((ok)) || die "janus did not answer on ws://$ns_ip:$ws_port/ within ${START_TIMEOUT}s"

    local filepid
    filepid=$(cat "$RUN_DIR/janus.pid" 2>/dev/null || true)
    if [[ -n "$filepid" && "$filepid" != "$pid" ]]; then
        log "note: janus pid_file says $filepid (background pid $pid); using $filepid"
        pid="$filepid"
        echo "JANUS_PID=$pid" >>"$STATE_FILE"
    fi
    pid_is_janus "$pid" || die "pid $pid is not a janus process"

    if [[ -n "$http_port" ]]; then
        local code
        code=$(timeout 5 curl -s -o /dev/null -w '%{http_code}' "http://$ns_ip:$http_port/janus/info" 2>/dev/null || true)
        [[ "$code" == "200" ]] || die "HTTP transport on $ns_ip:$http_port not answering (got '${code:-none}')"
    fi

    trap - EXIT
    log "janus is up (pid $pid); log: $RUN_DIR/janus.log"
    echo "JANUS_WS=ws://$ns_ip:$ws_port/"
    echo "JANUS_PID=$pid"
    echo "JANUS_NETNS=$NETNS"
    echo "JANUS_MEDIA_IP=$ns_ip"
    echo "JANUS_CLIENT_IP=$host_ip"
    echo "JANUS_RTP_PORTS=$RTP_RANGE"
    if [[ -n "$http_port" ]]; then echo "JANUS_HTTP=http://$ns_ip:$http_port/janus"; fi
    echo "JANUS_RUN_DIR=$RUN_DIR"
    echo "JANUS_LOG=$RUN_DIR/janus.log"
}

# ------------------------------------------------------------------- stop ---

do_stop() { # [quiet]
    local quiet="${1:-}"
    local pids=() p
    # 1. Janus by its recorded pid (only if that pid really is janus).
    for p in $(state_get JANUS_PID | tr '\n' ' ') $(cat "$RUN_DIR/janus.pid" 2>/dev/null || true); do
        if pid_is_janus "$p"; then pids+=("$p"); fi
    done
    # 2. Anything still living in our namespace was started by us.
    if ip netns list 2>/dev/null | grep -qw "^$NETNS"; then
        for p in $(ip netns pids "$NETNS" 2>/dev/null || true); do pids+=("$p"); done
    fi
    if ((${#pids[@]})); then
        mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un)
        [[ -n "$quiet" ]] || log "stopping pid(s) ${pids[*]}"
        kill -TERM "${pids[@]}" 2>/dev/null || true
        local deadline=$((SECONDS + STOP_TIMEOUT)) alive
        while ((SECONDS < deadline)); do
            alive=0
            for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
            ((alive)) || break
            sleep 0.2
        done
        for p in "${pids[@]}"; do
            if kill -0 "$p" 2>/dev/null; then
                log "pid $p ignored SIGTERM for ${STOP_TIMEOUT}s; sending SIGKILL"
                kill -KILL "$p" 2>/dev/null || true
            fi
        done
    fi
    # 3. Network: deleting the namespace destroys the veth pair with it (and
    #    the routes/sysctls that lived on it); delete the root end explicitly too.
    if ip netns list 2>/dev/null | grep -qw "^$NETNS"; then
        [[ -n "$quiet" ]] || log "deleting netns $NETNS"
        ip netns del "$NETNS" || log "warning: could not delete netns $NETNS"
    fi
    local i
    for ((i = 0; i < 20; i++)); do
        ip link show "$VETH_HOST" >/dev/null 2>&1 || break
        ip link del "$VETH_HOST" 2>/dev/null || true
        sleep 0.1
    done
    ip link show "$VETH_HOST" >/dev/null 2>&1 && log "warning: could not delete $VETH_HOST"
    # 4. Run dir (only if it is ours).
    if [[ -d "$RUN_DIR" ]]; then
        if [[ -f "$RUN_DIR/$MARKER" ]]; then
            rm -rf -- "$RUN_DIR"
        else
            log "warning: $RUN_DIR not created by this script; leaving it"
        fi
    fi
    return 0
}

cmd_stop() {
    require_root
    do_stop
    log "stopped"
}

# ----------------------------------------------------------------- status ---

cmd_status() {
    local pid netns_ok=0 pid_ok=0 ws_ok=0 ip port
    pid=$(state_get JANUS_PID)
    ip=$(state_get JANUS_MEDIA_IP)
    port=$(state_get JANUS_WS_PORT)
    ip netns list 2>/dev/null | grep -qw "^$NETNS" && netns_ok=1
    pid_is_janus "$pid" && pid_ok=1
    if ((pid_ok)) && [[ -n "$ip" && -n "$port" ]] && ws_probe "$ip" "$port"; then ws_ok=1; fi
    if ((pid_ok && ws_ok)); then
        echo "JANUS_STATUS=running"
        echo "JANUS_WS=ws://$ip:$port/"
        echo "JANUS_PID=$pid"
        echo "JANUS_NETNS=$NETNS"
        echo "JANUS_MEDIA_IP=$ip"
        echo "JANUS_CLIENT_IP=$(state_get JANUS_CLIENT_IP)"
        echo "JANUS_RTP_PORTS=$RTP_RANGE"
        local hp; hp=$(state_get JANUS_HTTP_PORT)
        if [[ -n "$hp" ]]; then echo "JANUS_HTTP=http://$ip:$hp/janus"; fi
        echo "JANUS_RUN_DIR=$RUN_DIR"
        return 0
    fi
    if ((pid_ok || netns_ok)) || [[ -d "$RUN_DIR" ]]; then
        echo "JANUS_STATUS=broken"
        log "janus pid alive: $pid_ok, netns present: $netns_ok, websocket answering: $ws_ok; run: $0 stop"
        return 1
    fi
    echo "JANUS_STATUS=stopped"
    return 3
}

# ------------------------------------------------------------------- main ---

main() {
    [[ $# -ge 1 ]] || usage
    local cmd="$1"; shift
    case "$cmd" in
        install) [[ $# -eq 0 ]] || die "install takes no arguments"; cmd_install ;;
        start) cmd_start "$@" ;;
        stop) [[ $# -eq 0 ]] || die "stop takes no arguments"; cmd_stop ;;
        status) [[ $# -eq 0 ]] || die "status takes no arguments"; cmd_status ;;
        -h|--help|help) usage ;;
        *) die "unknown command: $cmd (install|start|stop|status)" ;;
    esac
}

main "$@"
