#!/usr/bin/env bash
# run.sh — the UCX backend between two hosts on one machine: `dmactl serve` in network
# namespace A (10.231.0.1), clients in namespace B (10.231.0.2), joined by a veth pair
# (Tests/UCX/netns.sh), UCX over TCP (UCX_TLS=tcp unless set). Checks, each printed as
# PASS or FAIL with what it measured:
#   1. the namespaces carry UCX: ucx_perftest ucp_put_bw between them;
#   2. the server's first line ("serving ucx:IP:PORT BYTES bytes read-write") and `dmactl list`
#      in B showing the device (peer from --ucx-peer, and from DMAHOST_UCX_PEERS); a peer with
#      no server (no listener; no host) fails with a reason within --failure-bound seconds;
#   3. byte-exact copies both ways (`dmactl copy`, verified), odd sizes;
#   4. scatter-gather: copies cut into many segments on both sides, `dmactl bench --iovecs`;
#   5. at least --operations (default 10,000) random operations of every kind, each ended
#      exactly once and verified (`dmactl stress`: submitted = verified, no error, no fault);
#   6. addresses outside the region refused with -EFAULT before anything is sent, and a
#      read-only server refusing writes with -EACCES (a C client, remote_client.c, built here
#      with cc against the build's headers and libDMAHost.so), and `dmactl copy` into a
#      read-only server failing;
#   7. a client killed (SIGKILL) in the middle of a bench: the server goes on, another client
#      copies, and the server's counters (SIGUSR1) show both clients; then --kills writing and
#      --kills reading bench clients (sizes from 4 KiB, eager, to 4 MiB, rendezvous) killed one
#      after the other at a random moment of their run, the server still running and copying
#      byte-exact (both ways) after each;
#   8. the server killed (SIGKILL) in the middle of a bench: the client exits with an error
#      within --failure-bound seconds (measured); a new server listens on the same address at
#      once and a new dmactl copies through it; with the C client (8 pushes of 1 MiB in flight,
#      against a server of its own), every operation in flight fails within the bound, a later
#      one fails at once, and close + open of the device reconnects to the restarted server;
#      the same with the server's link cut (its veth end down) instead: no reset reaches the
#      client, as when the server's host vanishes; operations in flight must fail within the
#      plugin's stall timeout (DMAHOST_UCX_STALL_TIMEOUT_MS, default 10 s) + 1 s, and the
#      device reconnect to the same server once the link is back;
#   9. 1, 2 and 4 concurrent clients (`dmactl stress` each), all verified;
#  10. the server exits 0 on SIGTERM, printing its counters.
#
# Usage: Tests/UCX/run.sh [--bin-path DIR] [--operations N] [--failure-bound SECONDS] [--kills N] [--no-link-loss] [--keep]
#   --bin-path DIR  the build directory holding dmactl, libDMAHost.so and libdmahost-ucx.so
#                   (default: `swift build --show-bin-path`)
#   --failure-bound how soon operations in flight must fail once the server died (default 10)
#   --kills N       writing clients and reading clients killed in check 7's loop (default 5 each)
#   --no-link-loss  skip the link cut of check 8, which waits for the plugin's stall timeout
#   --keep          leave the working directory (logs, the C client) and print its path
# Skips (exit 0, with the reason) when UCX (libucp, ucx_perftest) or `ip netns` is not there.
# Exit status: 0 every check passed or the suite was skipped; 1 a check failed; 2 usage or a
# missing build product.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
root=$PWD

bin_dir='' operations=10000 failure_bound=10 keep=0 link_loss=1 kills=5
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
    case $1 in
        --bin-path) bin_dir=${2:?}; shift 2 ;;
        --operations) operations=${2:?}; shift 2 ;;
        --failure-bound) failure_bound=${2:?}; shift 2 ;;
        --kills) kills=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        --no-link-loss) link_loss=0; shift ;;
        *) usage ;;
    esac
done

source Tests/UCX/netns.sh

if ! reason=$(netns_ucx_unavailable); then echo "SKIP: UCX suite: $reason"; exit 0; fi

[[ -n $bin_dir ]] || bin_dir=$(swift build --show-bin-path 2> /dev/null || echo .build/debug)
bin_dir=$(cd "$bin_dir" 2> /dev/null && pwd) || { echo "ucx-tests: --bin-path $bin_dir is no directory" >&2; exit 2; }
dmactl=$bin_dir/dmactl
plugin=$bin_dir/libdmahost-ucx.so
for file in "$dmactl" "$plugin" "$bin_dir/libDMAHost.so"; do
    [ -e "$file" ] || { echo "ucx-tests: $file missing: run 'swift build' first" >&2; exit 2; }
done
remote_h=$(find Sources Plugins/UCX -path '*/include/dmahost/remote.h' 2> /dev/null | head -n 1)
[ -n "$remote_h" ] || { echo "ucx-tests: dmahost/remote.h not found under Sources/ or Plugins/UCX/" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dmahost-ucx-tests.XXXXXX")
netns_setup || exit 1
if ((keep)); then echo "ucx-tests: working directory $work"; else netns_at_exit "rm -rf '$work'"; fi

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "PASS  $1: $2"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1: $2"; }
# check NAME MEASUREMENT CONDITION...: PASS when the condition (a command) succeeds.
check() { local name=$1 what=$2; shift 2; if "$@"; then pass "$name" "$what"; else fail "$name" "$what"; fi; }
# A member of a JSON document (python expression on `d`), or "" when it cannot be read.
json() { python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2])
    print(json.dumps(v) if isinstance(v, (bool, dict, list)) or v is None else v)
except Exception:
    print("")' "$1" "$2"; }
now() { date +%s.%N; }
elapsed() { python3 -c 'import sys; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
le() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; }
load() { cut -d ' ' -f 1-3 /proc/loadavg; }

echo "== UCX suite: namespaces $NETNS_A ($NETNS_ADDR_A) and $NETNS_B ($NETNS_ADDR_B), ${NETNS_UCX_ENV[*]}"
echo "   dmactl $dmactl; plugin $plugin; load average $(load)"

# ---- 1. UCX itself between the namespaces
if netns_perftest 18515 "$work/perftest.log" -t ucp_put_bw -s 65536 -n 2000 -w 200 -f; then
    mb=$(awk 'NF == 8 && $1 ~ /^[0-9]+$/ { printf "%.0f", $6 * 1.048576 }' "$work/perftest.log" | tail -n 1)
    pass "ucx-perftest" "ucp_put_bw 64 KiB from B into A: ${mb:-?} MB/s (UCX over TCP works between the namespaces)"
else
    fail "ucx-perftest" "ucx_perftest between the namespaces failed: $(tail -n 3 "$work/perftest.log" | tr '\n' ' ')"
    echo "ucx-tests: UCX does not work between the namespaces; the other checks would say nothing" >&2
    exit 1
fi

# ---- servers and clients
server_size=256M
# start_server NAME PORT [serve options...]: dmactl serve in A; sets server_pid, server_log, device.
start_server() {
    local name=$1 port=$2
    shift 2
    server_log=$work/server-$name.log
    netns_spawn A "$server_log" "$dmactl" serve --driver-dir "$plugin" --no-default-drivers \
        --listen "$NETNS_ADDR_A:$port" --size "$server_size" "$@"
    server_pid=$NETNS_PID
    device=ucx:$NETNS_ADDR_A:$port
    netns_wait_serving "$server_log" "$server_pid" 30
}
# client PEER_PORT ARGS...: dmactl in B with the UCX plugin only and the peer given by --ucx-peer.
client() {
    local port=$1
    shift
    netns_exec B "$dmactl" --driver-dir "$plugin" --no-default-drivers --ucx-peer "$NETNS_ADDR_A:$port" "$@"
}
# spawn_client LOG PEER_PORT ARGS...: the same in the background; sets NETNS_PID.
spawn_client() {
    local log=$1 port=$2
    shift 2
    netns_spawn B "$log" "$dmactl" --driver-dir "$plugin" --no-default-drivers --ucx-peer "$NETNS_ADDR_A:$port" "$@"
}
# copy NAME PORT FROM TO SIZE SEGMENTS: a verified dmactl copy.
copy() {
    local name=$1 port=$2 from=$3 to=$4 size=$5 segments=$6 out=$work/copy-$1.json status
    client "$port" copy --from "$from" --to "$to" --size "$size" --segments "$segments" --format json > "$out" 2> "$work/copy-$1.err"
    status=$?
    if [ "$status" -eq 0 ] && [ "$(json "$out" 'd["verified"]')" = true ]; then
        pass "$name" "$from -> $to, $size bytes, $segments segments per side: verified in $(json "$out" 'd["elapsed_microseconds"]') us ($(json "$out" 'd["method"]'))"
    else
        fail "$name" "$from -> $to, $size bytes: exit $status, $(json "$out" 'd.get("error", {}).get("message", d.get("verified"))') $(head -c 400 "$work/copy-$1.err")"
    fi
}

# ---- 2. serving, discovery
main_port=18600
if start_server main "$main_port"; then
    expected="serving $device $((256 << 20)) bytes read-write"
    check "serve" "first line '$NETNS_SERVING'" [ "$NETNS_SERVING" = "$expected" ]
else
    fail "serve" "dmactl serve did not start (output above)"
    echo "ucx-tests: no server, nothing more to check"; echo "$passed passed, $failed failed"; exit 1
fi
main_pid=$server_pid main_log=$server_log main_device=$device
client "$main_port" list --format json > "$work/list.json" 2> "$work/list.err"
check "list" "dmactl list in B with --ucx-peer shows $main_device" grep -q "\"$main_device\"" "$work/list.json"
netns_exec B env "DMAHOST_UCX_PEERS=$NETNS_ADDR_A:$main_port" "$dmactl" --driver-dir "$plugin" --no-default-drivers list --format json \
    > "$work/list-env.json" 2> "$work/list-env.err"
check "list-env" "dmactl list in B with DMAHOST_UCX_PEERS shows $main_device" grep -q "\"$main_device\"" "$work/list-env.json"

# A peer nobody serves (a port without a listener; an address without a host): open fails,
# with a reason, within the bound.
for peer in "$NETNS_ADDR_A:18999" "10.231.0.9:18600"; do
    started=$(now)
    netns_exec B "$dmactl" --driver-dir "$plugin" --no-default-drivers --ucx-peer "$peer" \
        copy --from system --to "ucx:$peer" --size 4096 --format json > "$work/unreachable.json" 2> "$work/unreachable.err"
    status=$?
    took=$(elapsed "$started" "$(now)")
    message=$(json "$work/unreachable.json" 'd["error"]["message"]')
    ok=0; [ "$status" -ne 0 ] && [ -n "$message" ] && le "$took" "$failure_bound" && ok=1
    check "unreachable-peer" "copy to ucx:$peer: exit $status after $took s (bound $failure_bound s): '$message'" [ "$ok" -eq 1 ]
done

# ---- 3. byte-exact copies both ways
copy "copy-push" "$main_port" system "$main_device" 1048577 1
copy "copy-pull" "$main_port" "$main_device" system 1048577 1
copy "copy-push-small" "$main_port" system "$main_device" 1 1
copy "copy-pull-large" "$main_port" "$main_device" system 16M 1

# ---- 4. scatter-gather
copy "sg-push" "$main_port" system "$main_device" 3145723 16
copy "sg-pull" "$main_port" "$main_device" system 3145723 16
for op in write read; do
    out=$work/bench-iovecs-$op.json
    client "$main_port" bench --device "$main_device" --op "$op" --size 64K --qd 8 --iovecs 4 --seconds 2 --format json \
        > "$out" 2> "$work/bench-iovecs-$op.err"
    status=$?
    verified=$(json "$out" 'd["verified"]')
    if [ "$status" -eq 0 ] && [ "$verified" = true ]; then
        pass "sg-bench-$op" "bench --op $op --size 64K --qd 8 --iovecs 4: verified, $(json "$out" '"%.0f MB/s, p99 %.0f us" % (d["gb_per_s"] * 1000, d["p99_ns"] / 1000)')"
    else
        fail "sg-bench-$op" "bench --op $op --size 64K --iovecs 4: exit $status: $(json "$out" 'd["error"]["message"]') $(tail -n 2 "$work/bench-iovecs-$op.err" | tr '\n' ' ')"
    fi
done

# ---- 5. stress: at least $operations operations, each ended exactly once and verified
stress_seconds=10
for _ in 1 2 3; do
    out=$work/stress.json
    client "$main_port" stress --device "$main_device" --seconds "$stress_seconds" --max-size 256K --format json \
        > "$out" 2> "$work/stress.err"
    status=$?
    verified=$(json "$out" 'd["devices"][0]["verified"]')
    [ "$status" -ne 0 ] || [ -z "$verified" ] || ((verified >= operations)) && break
    # Too few in that time: run again, long enough for the count (at most 3 runs, 180 s).
    stress_seconds=$(python3 -c 'import sys; s, v, n = map(float, sys.argv[1:]); print(min(180, int(s * n / max(v, 1) * 1.3) + 1))' \
        "$stress_seconds" "$verified" "$operations")
    echo "   stress: $verified operations in the last run; again with --seconds $stress_seconds"
done
summary=$(json "$out" '"submitted %d, verified %d (push %s, pull %s, memzero %s, transfer %s), errors %d, verify failures %d, timed out %d, completion faults %s, %.0f op/s, p99 %s us" % (d["devices"][0]["submitted"], d["devices"][0]["verified"], *[d["devices"][0]["operations"].get(k) for k in ("push", "pull", "memzero", "transfer")], d["devices"][0]["errors"], d["devices"][0]["verify_failures"], d["devices"][0]["timed_out"], sum(v for v in d["devices"][0]["completion_faults"].values() if isinstance(v, int)), d["devices"][0]["operations_per_second"], d["devices"][0]["latency_microseconds"]["p99"])')
exactly_once=$(json "$out" 'd["passed"] and d["devices"][0]["submitted"] == d["devices"][0]["verified"] and d["devices"][0]["errors"] == 0 and all(v == 0 for v in d["devices"][0]["completion_faults"].values() if isinstance(v, int))')
check "stress" "exit $status, ${summary:-no report: $(tail -n 3 "$work/stress.err" | tr '\n' ' ')}" \
    [ "$status" -eq 0 -a "$exactly_once" = true -a "${verified:-0}" -ge "$operations" ]

# ---- 6. refusals: -EFAULT outside the region, -EACCES on a read-only server
client_bin=$work/remote_client
include_dirs=(-I "$root/Sources/CDMAHostABI/include" -I "$root/$(dirname "$(dirname "$remote_h")")")
if cc -std=c11 -Wall -Wextra -Werror "${include_dirs[@]}" Tests/UCX/remote_client.c -o "$client_bin" \
    -L "$bin_dir" -lDMAHost -Wl,-rpath,"$bin_dir" -lpthread > "$work/cc.log" 2>&1; then
    pass "c-client-build" "Tests/UCX/remote_client.c built with cc against dmahost/host.h, dmahost/remote.h and $bin_dir/libDMAHost.so"
else
    fail "c-client-build" "cc failed: $(head -n 5 "$work/cc.log" | tr '\n' ' ')"
    client_bin=
fi
# c_client NAME PORT MODE [ARGS...]: runs the C client in B; its steps are indented below the check.
c_client() {
    local name=$1 port=$2 mode=$3 status
    shift 3
    netns_exec B env "DMAHOST_UCX_PEERS=$NETNS_ADDR_A:$port" "$client_bin" "$plugin" "ucx:$NETNS_ADDR_A:$port" "$mode" "$@" \
        > "$work/c-$name.log" 2>&1
    status=$?
    check "$name" "C client, $(grep -c '^ok: ' "$work/c-$name.log") steps passed, $(grep -c '^FAIL: ' "$work/c-$name.log") failed (exit $status)" \
        [ "$status" -eq 0 ]
    sed -n 's/^\(ok\|FAIL\|region\): /      \1: /p' "$work/c-$name.log"
}
[ -z "$client_bin" ] || c_client "efault" "$main_port" range

ro_port=18601
if start_server read-only "$ro_port" --read-only; then
    ro_pid=$server_pid
    check "serve-read-only" "first line '$NETNS_SERVING'" [ "$NETNS_SERVING" = "serving $device $((256 << 20)) bytes read-only" ]
    [ -z "$client_bin" ] || c_client "eacces" "$ro_port" read-only
    client "$ro_port" copy --from system --to "$device" --size 4096 --format json > "$work/copy-ro.json" 2> "$work/copy-ro.err"
    status=$?
    message=$(json "$work/copy-ro.json" 'd["error"]["message"]')
    check "copy-read-only" "dmactl copy into the read-only server: exit $status, '$message'" \
        [ "$status" -eq 1 -a -n "$message" ]
    kill -TERM "$ro_pid" 2> /dev/null; wait "$ro_pid" 2> /dev/null
else
    fail "serve-read-only" "dmactl serve --read-only did not start"
fi

# ---- 7. a client killed mid-run: the server goes on
spawn_client "$work/killed-client.log" "$main_port" bench --device "$main_device" --op write --size 256K --qd 16 --hot --seconds 60 --timeout 60
victim=$NETNS_PID
if netns_wait_traffic A 5 40; then
    kill -KILL "$victim" 2> /dev/null
    { wait "$victim"; } 2> /dev/null
    sleep 1
    check "client-killed-server-alive" "a bench client killed with SIGKILL while writing; the server (pid $main_pid) still runs" kill -0 "$main_pid"
    copy "copy-after-client-killed" "$main_port" system "$main_device" 4M 4
    # A second client connected while the counters are printed.
    spawn_client "$work/second-client.log" "$main_port" bench --device "$main_device" --op read --size 64K --qd 8 --hot --seconds 8
    second=$NETNS_PID
    netns_wait_traffic B 1 20 || true
    lines_before=$(wc -l < "$main_log")
    kill -USR1 "$main_pid"
    sleep 1
    counters=$(tail -n +"$((lines_before + 1))" "$main_log")
    clients_seen=$(grep -o "$NETNS_ADDR_B:[0-9]*" <<< "$counters" | sort -u | wc -l)
    check "server-counters" "SIGUSR1 printed $(wc -l <<< "$counters") lines naming $clients_seen client endpoints of $NETNS_ADDR_B (the killed client, the copy, the running bench)" \
        [ "$clients_seen" -ge 2 ]
    sed 's/^/      | /' <<< "$counters" | head -n 20
    wait "$second"
    status=$?
    check "second-client" "a bench client reading while the counters were printed: exit $status" [ "$status" -eq 0 ]
else
    fail "client-killed-server-alive" "the bench client sent no data within 40 s: $(tail -n 3 "$work/killed-client.log" | tr '\n' ' ')"
    kill -KILL "$victim" 2> /dev/null
fi

# 7b. Clients killed one after the other while writing, then while reading, at a random moment
# of their run: after each, the server runs and a new client copies byte-exact both ways.
kill_sizes=(4K 64K 256K 1M 4M)
for op in write read; do
    [ "$op" = write ] && receiver=A || receiver=B
    survived=0 copied=0 details=""
    for ((round = 0; round < kills; round++)); do
        size=${kill_sizes[$((round % ${#kill_sizes[@]}))]}
        spawn_client "$work/kill-$op-$round.log" "$main_port" bench --device "$main_device" --op "$op" --size "$size" \
            --qd 16 --hot --seconds 60 --timeout 60
        victim=$NETNS_PID
        netns_wait_traffic "$receiver" 1 20 || details+=" round $round: no traffic seen;"
        sleep "0.$((RANDOM % 10))"
        kill -KILL "$victim" 2> /dev/null
        { wait "$victim"; } 2> /dev/null
        sleep 0.5
        if ! kill -0 "$main_pid" 2> /dev/null; then
            details+=" round $round ($size): the server died;"
            break
        fi
        survived=$((survived + 1))
        ok=1
        for direction in push pull; do
            [ "$direction" = push ] && args=(--from system --to "$main_device") || args=(--from "$main_device" --to system)
            out=$work/kill-copy-$op-$round-$direction.json
            client "$main_port" copy "${args[@]}" --size 1M --segments 2 --format json > "$out" 2> "$out.err"
            [ "$(json "$out" 'd["verified"]')" = true ] || { ok=0; details+=" round $round: $direction copy not verified;"; }
        done
        ((ok)) && copied=$((copied + 1))
    done
    check "clients-killed-$op" "$kills bench clients killed with SIGKILL while ${op/%e/}ing (sizes ${kill_sizes[*]}): the server survived $survived, copied byte-exact both ways after $copied${details:+;$details}" \
        [ "$survived" -eq "$kills" -a "$copied" -eq "$kills" ]
done

# ---- 8. the server killed mid-run
# 8a. dmactl bench as the client: it must exit with an error within the bound.
spawn_client "$work/bench-server-killed.log" "$main_port" bench --device "$main_device" --op write --size 256K --qd 16 --hot --seconds 60 --timeout 60
bench_pid=$NETNS_PID
if netns_wait_traffic A 5 40; then
    killed_at=$(now)
    kill -KILL "$main_pid"
    while kill -0 "$bench_pid" 2> /dev/null; do
        le "$(elapsed "$killed_at" "$(now)")" 60 || break
        sleep 0.05
    done
    exited_at=$(now)
    wait "$bench_pid" 2> /dev/null
    status=$?
    took=$(elapsed "$killed_at" "$exited_at")
    message=$(grep -v '^ *$' "$work/bench-server-killed.log" | tail -n 2 | tr '\n' ' ' | cut -c 1-300)
    ok=0; [ "$status" -ne 0 ] && [ "$status" -ne 6 ] && [ -n "$message" ] && le "$took" "$failure_bound" && ok=1
    check "server-killed-bench" "dmactl bench exited $status ${took} s after the server's SIGKILL (bound ${failure_bound} s): $message" \
        [ "$ok" -eq 1 ]
    kill -KILL "$bench_pid" 2> /dev/null
else
    fail "server-killed-bench" "the bench client sent no data within 40 s: $(tail -n 3 "$work/bench-server-killed.log" | tr '\n' ' ')"
    kill -KILL "$main_pid" "$bench_pid" 2> /dev/null
fi
{ wait "$main_pid"; } 2> /dev/null

# restart NAME PORT: the server again on the address of one that was killed; a check either way.
restart() {
    local name=$1 port=$2 why
    if start_server "$name" "$port" 2> "$work/restart-$name.err"; then
        pass "restart-$name" "a new server listens on $NETNS_ADDR_A:$port right after the old one was killed"
        return 0
    fi
    why=$(grep -m 1 -o 'cannot listen.*' "$server_log" || tail -n 1 "$server_log")
    grep -q 'in use' "$server_log" && why="$why (connections of the killed server linger in TIME_WAIT: the listener needs address reuse, UCX_TCP_CM_REUSEADDR / UCX_CM_REUSEADDR=y)"
    fail "restart-$name" "no server on $NETNS_ADDR_A:$port after the old one was killed: $why"
    return 1
}

# The restarted server on the same address: a new client copies. Without it, the checks below
# use a server on another port.
if restart main "$main_port"; then
    main_pid=$server_pid main_log=$server_log
    copy "copy-after-restart" "$main_port" system "$main_device" 4M 4
else
    main_port=18610
    start_server main-elsewhere "$main_port" && main_pid=$server_pid main_log=$server_log main_device=$device
fi

# peer_loss NAME PORT kill|cut BOUND: the C client keeps 8 pushes of 1 MiB in flight against a
# server of its own; then the server is killed (SIGKILL) or its link cut (its end of the veth
# pair down: no reset reaches the client, as when a host vanishes). Every operation in flight
# must fail within the bound, a later one at once; then the server is restarted (kill) or the
# link restored (cut), and close + open of the device must reconnect and move bytes.
peer_loss() {
    local name=$1 port=$2 how=$3 failure_bound=$4 pid ready=$work/$1-ready resumed=$work/$1-resumed log=$work/c-$1.log client status
    local lost_at first last detect drained ok
    [ -n "$client_bin" ] || return 0
    start_server "$name" "$port" || { fail "$name" "no server for the check"; return 0; }
    pid=$server_pid
    netns_spawn B "$log" env "DMAHOST_UCX_PEERS=$NETNS_ADDR_A:$port" \
        "$client_bin" "$plugin" "$device" server-loss "$ready" "$resumed" "$failure_bound"
    client=$NETNS_PID
    for _ in $(seq 600); do [ -e "$ready" ] || ! kill -0 "$client" 2> /dev/null && break; sleep 0.1; done
    if [ ! -e "$ready" ]; then
        fail "$name" "the C client never had its pushes running: $(tail -n 3 "$log" | tr '\n' ' ')"
        kill -KILL "$client" "$pid" 2> /dev/null
        return 0
    fi
    lost_at=$(now)
    if [ "$how" = kill ]; then
        kill -KILL "$pid"
        { wait "$pid"; } 2> /dev/null
    else
        ip -n "$NETNS_A" link set "$NETNS_DEVICE" down
    fi
    # Until the client has seen the loss and tried once more (the bound, and some margin).
    for _ in $(seq $((failure_bound * 10 + 300))); do grep -q '^later_rc=' "$log" || ! kill -0 "$client" 2> /dev/null && break; sleep 0.1; done
    if [ "$how" = kill ]; then
        restart "$name" "$port" && pid=$server_pid
    else
        ip -n "$NETNS_A" link set "$NETNS_DEVICE" up
        for _ in $(seq 50); do
            [ "$(netns_exec B cat "/sys/class/net/$NETNS_DEVICE/operstate")" = up ] && break
            sleep 0.1
        done
        sleep 1
        check "$name-server-survives" "the server (pid $pid) runs on after its link was cut and restored: $(grep -m 1 -i -E 'fatal|error' "$server_log" | cut -c 1-200)" \
            kill -0 "$pid"
    fi
    touch "$resumed"
    wait "$client"
    status=$?
    first=$(sed -n 's/^first_failure_at=//p' "$log")
    last=$(sed -n 's/^last_completion_at=//p' "$log")
    detect=$([ -n "$first" ] && elapsed "$lost_at" "$first" || echo "?")
    drained=$([ -n "$last" ] && elapsed "$lost_at" "$last" || echo "?")
    ok=0; [ "$drained" != "?" ] && le "$drained" "$failure_bound" && ok=1
    local what="server killed (SIGKILL)"
    [ "$how" = kill ] || what="server's link cut"
    check "$name-in-flight" "$what with 8 pushes of 1 MiB in flight (C client): first failure $detect s after it ($(sed -n 's/^first_error=//p' "$log")), the last operation in flight ended $drained s after it (bound $failure_bound s)" \
        [ "$ok" -eq 1 ]
    check "$name-later-and-reconnect" "then a push: rc $(sed -n 's/^later_rc=//p' "$log") after $(sed -n 's/^later_ms=//p' "$log") ms; close + open + push and pull once the server is back (exit $status)" \
        [ "$status" -eq 0 ]
    sed -n 's/^\(ok\|FAIL\): /      \1: /p' "$log"
    kill -TERM "$pid" 2> /dev/null
    { wait "$pid"; } 2> /dev/null
}
peer_loss server-loss 18620 kill "$failure_bound"
# Without a reset the plugin fails what is outstanding once no request completed for its stall
# timeout (DMAHOST_UCX_STALL_TIMEOUT_MS, 10 s by default); its progress thread notices within 1 s.
stall_bound=$(python3 -c 'import sys; print("%g" % (int(sys.argv[1]) / 1000 + 1))' "${DMAHOST_UCX_STALL_TIMEOUT_MS:-10000}")
((link_loss == 0)) || peer_loss link-loss 18630 cut "$stall_bound"

# ---- 9. concurrent clients
if kill -0 "$main_pid" 2> /dev/null; then
    for clients in 1 2 4; do
        pids=()
        for ((i = 0; i < clients; i++)); do
            NETNS_STDERR=$work/concurrent-$clients-$i.err spawn_client "$work/concurrent-$clients-$i.json" "$main_port" stress --device "$main_device" --seconds 5 --max-size 256K \
                --churn-threads 0 --walk-threads 0 --format json
            pids+=("$NETNS_PID")
        done
        ok=1 total=0 per=()
        for ((i = 0; i < clients; i++)); do
            wait "${pids[$i]}"
            status=$?
            file=$work/concurrent-$clients-$i.json
            verified=$(json "$file" 'd["devices"][0]["verified"]')
            clean=$(json "$file" 'd["passed"] and d["devices"][0]["submitted"] == d["devices"][0]["verified"]')
            [ "$status" -eq 0 ] && [ "$clean" = true ] || ok=0
            per+=("${verified:-?}")
            total=$((total + ${verified:-0}))
        done
        check "clients-$clients" "$clients concurrent stress clients, 5 s each: verified operations ${per[*]} (total $total), every one exactly once" \
            [ "$ok" -eq 1 ]
    done

    # ---- 10. SIGTERM
    kill -TERM "$main_pid"
    wait "$main_pid"
    status=$?
    check "serve-sigterm" "the server exited $status on SIGTERM; its last lines: $(tail -n 3 "$main_log" | tr '\n' ' ' | cut -c 1-300)" [ "$status" -eq 0 ]
else
    fail "clients-1" "no server to connect to"
fi

echo "== UCX suite: $passed passed, $failed failed (load average $(load))"
((failed == 0))
