# netns.sh — two hosts on one machine, for the UCX suite and benchmark (sourced, not run).
#
# Creates two network namespaces, A (the server's) and B (the clients'), joined by a veth pair
# whose two ends are both called ucx0 and live only inside them: 10.231.0.1/24 in A,
# 10.231.0.2/24 in B, loopback up in each. The host's own interfaces and routes are untouched,
# so parallel runs never collide: every run names its namespaces dmahost-ucx-<pid>-<random>-a|b.
#
#   netns_unavailable            prints why two namespaces cannot be made here (not root, no
#                                `ip netns`), or nothing; status 0 when they can
#   netns_ucx_unavailable        the same for UCX over them: prints why not (not root, no `ip
#                                netns`, no libucp or ucx_perftest), or nothing; status 0 when ready
#   netns_setup                  creates A and B and arms the cleanup (below); sets NETNS_A,
#                                NETNS_B, NETNS_ADDR_A, NETNS_ADDR_B, NETNS_DEVICE
#   netns_exec A|B CMD...        runs CMD in the namespace, in the foreground
#   netns_spawn A|B LOG CMD...   starts CMD in the namespace in the background, stdout and stderr
#                                to LOG (stderr to NETNS_STDERR instead when that is set); sets
#                                NETNS_PID (the cleanup ends it if it is still running)
#   netns_wait_serving LOG PID SECONDS
#                                waits until LOG has a line starting "serving " (the first line of
#                                `dmactl serve`); sets NETNS_SERVING to that line; status 1 (with
#                                the log on stderr) when PID exits first or SECONDS pass
#   netns_perftest PORT LOG ARGS...
#                                ucx_perftest between the namespaces: its server in A on PORT, its
#                                client in B with ARGS (`-t ucp_put_bw -s 65536 ...`), the client's
#                                output in LOG; retries while the server is not listening yet;
#                                status: the client's
#   netns_rx_bytes A|B           bytes received so far on the namespace's end of the veth pair
#   netns_wait_traffic A|B MB SECONDS
#                                waits until that end receives at least MB MB (10^6 bytes) within
#                                one second (a transfer is under way); status 1 after SECONDS
#   netns_at_exit CMD            runs CMD (eval) during the cleanup, after the processes ended
#   netns_cleanup                ends every process in A and B (TERM, then KILL after 2 s),
#                                deletes both namespaces (and so the veth pair), runs the
#                                netns_at_exit commands; idempotent
#
# Cleanup runs on every exit of the sourcing shell: normal exit, `exit N`, a failed command
# under `set -e`, and SIGINT, SIGTERM or SIGHUP (then the shell exits 128+N). A SIGKILL cannot
# be trapped: a watchdog process detached with setsid waits for the sourcing shell to
# disappear and then removes what it left, and netns_setup also removes the namespaces of runs
# whose shell no longer exists.
#
# UCX: NETNS_UCX_ENV holds the environment both sides use (UCX over TCP on ucx0 only);
# `export "${NETNS_UCX_ENV[@]}"` or prefix commands with `env "${NETNS_UCX_ENV[@]}"`. A UCX_TLS
# already set in the environment wins (e.g. UCX_TLS=tcp,self).

NETNS_ADDR_A=10.231.0.1
NETNS_ADDR_B=10.231.0.2
NETNS_DEVICE=ucx0
NETNS_A=
NETNS_B=
NETNS_PID=
NETNS_SERVING=
NETNS_UCX_ENV=("UCX_TLS=${UCX_TLS:-tcp}" "UCX_NET_DEVICES=$NETNS_DEVICE")
_netns_pids=()
_netns_exit_commands=()
_netns_watchdog=
_netns_cleaned=0
_netns_prefix=dmahost-ucx-

netns_unavailable() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "network namespaces need root (running as uid $(id -u))"
    elif ! command -v ip > /dev/null; then
        echo "no 'ip' command (Debian package iproute2)"
    elif ! ip netns list > /dev/null 2>&1; then
        echo "'ip netns' does not work here: $(ip netns list 2>&1 | head -n 1)"
    else
        return 0
    fi
    return 1
}

netns_ucx_unavailable() {
    netns_unavailable || return 1
    if ! command -v ucx_perftest > /dev/null || ! ldconfig -p | grep -q 'libucp\.so'; then
        echo "UCX is not installed (Debian packages libucx-dev and ucx-utils; Scripts/install-deps.sh installs them)"
        return 1
    fi
}

# Removes one namespace and ends the processes inside it.
_netns_remove() {
    local ns=$1 pids
    mapfile -t pids < <(ip netns pids "$ns" 2> /dev/null)
    ((${#pids[@]} == 0)) || kill -KILL "${pids[@]}" 2> /dev/null || true
    ip netns delete "$ns" 2> /dev/null || true
}

# Removes the namespaces of earlier runs whose shell is gone (killed with SIGKILL, say).
_netns_sweep_stale() {
    local ns owner
    for ns in $(ip netns list 2> /dev/null | awk '{ print $1 }'); do
        [[ $ns == "$_netns_prefix"* ]] || continue
        owner=${ns#"$_netns_prefix"}
        owner=${owner%%-*}
        [[ $owner =~ ^[0-9]+$ ]] || continue
        kill -0 "$owner" 2> /dev/null || _netns_remove "$ns"
    done
}

netns_setup() {
    local reason
    reason=$(netns_unavailable) || { echo "netns: $reason" >&2; return 1; }
    _netns_sweep_stale
    local tag="$_netns_prefix$$-$RANDOM$RANDOM"
    NETNS_A=$tag-a
    NETNS_B=$tag-b
    trap 'netns_cleanup' EXIT
    trap 'netns_cleanup; trap - INT; exit 130' INT
    trap 'netns_cleanup; trap - TERM; exit 143' TERM
    trap 'netns_cleanup; trap - HUP; exit 129' HUP
    ip netns add "$NETNS_A" && ip netns add "$NETNS_B" \
        && ip link add name "$NETNS_DEVICE" netns "$NETNS_A" type veth peer name "$NETNS_DEVICE" netns "$NETNS_B" \
        && ip -n "$NETNS_A" addr add "$NETNS_ADDR_A/24" dev "$NETNS_DEVICE" \
        && ip -n "$NETNS_B" addr add "$NETNS_ADDR_B/24" dev "$NETNS_DEVICE" \
        && ip -n "$NETNS_A" link set "$NETNS_DEVICE" up && ip -n "$NETNS_B" link set "$NETNS_DEVICE" up \
        && ip -n "$NETNS_A" link set lo up && ip -n "$NETNS_B" link set lo up \
        || { echo "netns: could not create $NETNS_A and $NETNS_B joined by a veth pair" >&2; netns_cleanup; return 1; }
    # The veth carrier comes up asynchronously; UCX ignores an interface that is not running yet.
    local ns
    for ns in "$NETNS_A" "$NETNS_B"; do
        for _ in $(seq 50); do
            [ "$(ip netns exec "$ns" cat "/sys/class/net/$NETNS_DEVICE/operstate" 2> /dev/null)" = up ] && break
            sleep 0.1
        done
        [ "$(ip netns exec "$ns" cat "/sys/class/net/$NETNS_DEVICE/operstate" 2> /dev/null)" = up ] \
            || { echo "netns: $NETNS_DEVICE in $ns did not come up within 5 s" >&2; netns_cleanup; return 1; }
    done
    # shellcheck disable=SC2016 # the watchdog's script gets its values as arguments
    # The watchdog: outlives a SIGKILL of this shell (setsid: no terminal, no process group to share), then removes
    # both namespaces.
    setsid bash -c 'while kill -0 "$1" 2> /dev/null; do sleep 1; done
        for ns in "$2" "$3"; do
            pids=$(ip netns pids "$ns" 2> /dev/null || true)
            [ -z "$pids" ] || kill -KILL $pids 2> /dev/null || true
            ip netns delete "$ns" 2> /dev/null || true
        done' netns-watchdog "$$" "$NETNS_A" "$NETNS_B" < /dev/null > /dev/null 2>&1 &
    _netns_watchdog=$!
    _netns_cleaned=0
}

# The namespace named by A or B.
_netns_name() {
    case $1 in
        A) echo "$NETNS_A" ;;
        B) echo "$NETNS_B" ;;
        *) echo "netns: namespace must be A or B, got '$1'" >&2; return 1 ;;
    esac
}

netns_exec() {
    local ns
    ns=$(_netns_name "$1") || return 2
    shift
    ip netns exec "$ns" env "${NETNS_UCX_ENV[@]}" "$@"
}

netns_spawn() {
    local ns log=$2 errors=${NETNS_STDERR:-$2}
    ns=$(_netns_name "$1") || return 2
    shift 2
    if [ "$errors" = "$log" ]; then
        ip netns exec "$ns" env "${NETNS_UCX_ENV[@]}" "$@" > "$log" 2>&1 &
    else
        ip netns exec "$ns" env "${NETNS_UCX_ENV[@]}" "$@" > "$log" 2> "$errors" &
    fi
    NETNS_PID=$!
    _netns_pids+=("$NETNS_PID")
}

netns_wait_serving() {
    local log=$1 pid=$2 seconds=$3 deadline
    deadline=$((SECONDS + seconds))
    NETNS_SERVING=
    while ((SECONDS <= deadline)); do
        NETNS_SERVING=$(grep -m 1 '^serving ' "$log" 2> /dev/null || true)
        [ -z "$NETNS_SERVING" ] || return 0
        if ! kill -0 "$pid" 2> /dev/null; then
            echo "netns: the server exited before it was serving; its output:" >&2
            sed 's/^/  | /' "$log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "netns: no 'serving' line within $seconds s; the server's output so far:" >&2
    sed 's/^/  | /' "$log" >&2
    return 1
}

netns_perftest() {
    local port=$1 log=$2 server status=1 try
    shift 2
    netns_spawn A "$log.server" ucx_perftest -p "$port"
    server=$NETNS_PID
    for try in 1 2 3 4 5; do
        sleep "0.$((try * 2))"
        netns_exec B timeout 300 ucx_perftest "$NETNS_ADDR_A" -p "$port" "$@" > "$log" 2>&1
        status=$?
        ((status != 0)) && kill -0 "$server" 2> /dev/null && grep -q 'connect() failed' "$log" || break
    done
    kill "$server" 2> /dev/null
    { wait "$server"; } 2> /dev/null
    return "$status"
}

netns_rx_bytes() {
    local ns
    ns=$(_netns_name "$1") || return 2
    ip netns exec "$ns" cat "/sys/class/net/$NETNS_DEVICE/statistics/rx_bytes"
}

netns_wait_traffic() {
    local side=$1 megabytes=$2 seconds=$3 deadline before after
    deadline=$((SECONDS + seconds))
    before=$(netns_rx_bytes "$side") || return 1
    while ((SECONDS <= deadline)); do
        sleep 1
        after=$(netns_rx_bytes "$side") || return 1
        (((after - before) >= megabytes * 1000000)) && return 0
        before=$after
    done
    return 1
}

netns_at_exit() {
    _netns_exit_commands+=("$1")
}

netns_cleanup() {
    ((_netns_cleaned == 0)) || return 0
    _netns_cleaned=1
    local pid ns command pids
    for pid in "${_netns_pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
    for ns in "$NETNS_A" "$NETNS_B"; do
        [ -z "$ns" ] || { mapfile -t pids < <(ip netns pids "$ns" 2> /dev/null); ((${#pids[@]} == 0)) || kill -TERM "${pids[@]}" 2> /dev/null || true; }
    done
    for _ in $(seq 20); do
        local alive=0
        for pid in "${_netns_pids[@]}"; do kill -0 "$pid" 2> /dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for ns in "$NETNS_A" "$NETNS_B"; do [ -z "$ns" ] || _netns_remove "$ns"; done
    for pid in "${_netns_pids[@]}"; do wait "$pid" 2> /dev/null || true; done
    _netns_pids=()
    [ -z "$_netns_watchdog" ] || kill "$_netns_watchdog" 2> /dev/null || true
    _netns_watchdog=
    for command in "${_netns_exit_commands[@]}"; do eval "$command" || true; done
    _netns_exit_commands=()
}
