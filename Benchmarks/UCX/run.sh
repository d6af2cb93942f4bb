#!/usr/bin/env bash
# run.sh — throughput of DMAHost's UCX backend against UCX's own ucx_perftest, both between the
# same two network namespaces (Tests/UCX/netns.sh: server in A, client in B, a veth pair), over
# the same transport (UCX_TLS, default tcp), the same message sizes and the same number of
# operations in flight:
#   write: `dmactl bench --op write` (push: WRITE requests the server answers) vs `ucx_perftest -t ucp_put_bw`
#   read:  `dmactl bench --op read`  (pull: READ requests the server answers)  vs `ucx_perftest -t ucp_get`
# dmactl runs with --hot (one buffer per operation in flight, reused, as perftest reuses its
# buffer) and --qd N; perftest with -O N (its window of outstanding operations). dmactl's
# --seconds is the wall time of a point, half of it the measured window, so dmactl gets twice
# --seconds; perftest gets as many iterations as dmactl's rate moves in --seconds. The two
# alternate (dmactl, perftest, dmactl, ...) --repeat times each, and the medians are compared.
# Prints a table per operation and size with both medians in MB/s (10^6 bytes/s; perftest's
# "MB/s" are MiB/s and are converted), the ratio dmactl / perftest and every run; then, unless
# --no-scaling, the scaling table: 1, 2 and 4 dmactl clients at once against one server,
# aggregate MB/s and the worst client's p99 latency. The load average is printed with each
# table: numbers are only credible on an idle machine.
#
# Usage: Benchmarks/UCX/run.sh [--bin-path DIR] [--sizes "4096 65536 1048576"] [--ops "write read"]
#          [--qd 32] [--seconds 3] [--repeat 3] [--min-ratio R] [--clients "1 2 4"]
#          [--scaling-size 65536] [--no-scaling]
#   --bin-path DIR  the build holding dmactl and libdmahost-ucx.so (default .build/release: swift build -c release)
#   --min-ratio R   exit 1 when a ratio is below R (default 0: report only)
# Skips (exit 0, with the reason) when UCX (ucx_perftest, libucp) or `ip netns` is not there.
# Exit status: 0 measured (and every ratio >= R); 1 a ratio below R or a run that failed; 2 usage
# or a missing build product.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

bin_dir=.build/release sizes="4096 65536 1048576" ops="write read" qd=32 seconds=3 repeat=3 min_ratio=0
clients_list="1 2 4" scaling_size=65536 scaling=1
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
    case $1 in
        --bin-path) bin_dir=${2:?}; shift 2 ;;
        --sizes) sizes=${2//,/ }; shift 2 ;;
        --ops) ops=${2//,/ }; shift 2 ;;
        --qd) qd=${2:?}; shift 2 ;;
        --seconds) seconds=${2:?}; shift 2 ;;
        --repeat) repeat=${2:?}; shift 2 ;;
        --min-ratio) min_ratio=${2:?}; shift 2 ;;
        --clients) clients_list=${2//,/ }; shift 2 ;;
        --scaling-size) scaling_size=${2:?}; shift 2 ;;
        --no-scaling) scaling=0; shift ;;
        *) usage ;;
    esac
done
for word in $sizes; do [[ $word =~ ^[0-9]+$ ]] || { echo "ucx-bench: --sizes takes byte counts, got '$word'" >&2; exit 2; }; done
for word in $ops; do [[ $word == read || $word == write ]] || { echo "ucx-bench: --ops takes read and write, got '$word'" >&2; exit 2; }; done

source Tests/UCX/netns.sh

if ! reason=$(netns_ucx_unavailable); then echo "SKIP: UCX benchmark: $reason"; exit 0; fi
bin_dir=$(cd "$bin_dir" 2> /dev/null && pwd) || { echo "ucx-bench: no build directory; run 'swift build -c release' first" >&2; exit 2; }
dmactl=$bin_dir/dmactl
plugin=$bin_dir/libdmahost-ucx.so
for file in "$dmactl" "$plugin"; do
    [ -e "$file" ] || { echo "ucx-bench: $file missing: run 'swift build -c release' first" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/dmahost-ucx-bench.XXXXXX")
netns_setup || exit 1
netns_at_exit "rm -rf '$work'"
load() { cut -d ' ' -f 1-3 /proc/loadavg; }

# The dmactl server, for the whole run.
server_port=18700
netns_spawn A "$work/server.log" "$dmactl" serve --driver-dir "$plugin" --no-default-drivers \
    --listen "$NETNS_ADDR_A:$server_port" --size 512M
server_pid=$NETNS_PID
netns_wait_serving "$work/server.log" "$server_pid" 30 || exit 1
device=ucx:$NETNS_ADDR_A:$server_port

# dmactl_bench OP SIZE SECONDS OUT: one dmactl bench point in B, its JSON report in OUT.
dmactl_bench() {
    local op=$1 size=$2 point=$3 out=$4
    netns_exec B "$dmactl" --driver-dir "$plugin" --no-default-drivers --ucx-peer "$NETNS_ADDR_A:$server_port" \
        bench --device "$device" --op "$op" --size "$size" --qd "$qd" --hot --seconds "$point" --format json > "$out" 2> "$out.err"
}
# A bench report's MB/s (10^6), or 0 when it failed or did not verify.
report_mb() {
    python3 -c 'import json, sys
try:
    r = json.load(open(sys.argv[1]))
    print("%.2f" % (r["gb_per_s"] * 1000) if r.get("verified") else "0")
except Exception:
    print("0")' "$1"
}
ours() { # OP SIZE -> MB/s
    local out=$work/dmactl-$1-$2-$run.json
    dmactl_bench "$1" "$2" "$(awk -v s="$seconds" 'BEGIN { print 2 * s }')" "$out"
    report_mb "$out"
    [ "$(report_mb "$out")" != 0 ] || sed 's/^/  dmactl: /' "$out.err" | tail -n 3 >&2
}
perftest_port=18800
theirs() { # OP SIZE ITERATIONS -> MB/s (10^6) of perftest's overall bandwidth
    local op=$1 size=$2 iterations=$3 test log=$work/perftest-$1-$2-$run.log
    [ "$op" = write ] && test=ucp_put_bw || test=ucp_get
    perftest_port=$((perftest_port + 1))
    # -e: endpoints with peer-failure handling, as the backend's (UCP_ERR_HANDLING_MODE_PEER).
    if netns_perftest "$perftest_port" "$log" -t "$test" -s "$size" -O "$qd" -n "$iterations" -w "$((iterations / 10 + 10))" -f -e; then
        # The result line: iterations, latency (typical, average, overall), bandwidth (average,
        # overall) in MiB/s, message rate (average, overall).
        awk 'NF == 8 && $1 ~ /^[0-9]+$/ { printf "%.2f\n", $6 * 1.048576 }' "$log" | tail -n 1 | grep . || echo 0
    else
        sed 's/^/  perftest: /' "$log" | tail -n 3 >&2
        echo 0
    fi
}
# Median of the successful runs (a failed run is 0 and left out; all failed: 0).
median() { python3 -c 'import statistics, sys; v = [float(x) for x in sys.argv[1:] if float(x) > 0]; print("%.2f" % (statistics.median(v) if v else 0))' "$@"; }
# Iterations for perftest to move, at RATE MB/s, SIZE-byte messages for --seconds.
iterations_for() { python3 -c 'import sys; rate, size, s = map(float, sys.argv[1:]); print(max(200, int((rate if rate > 0 else 500) * 1e6 * s / size)))' "$1" "$2" "$seconds"; }

status=0 below=()
echo "UCX over ${NETNS_UCX_ENV[*]} between two network namespaces; qd $qd; $(nproc) CPUs; load average before: $(load)"
echo
echo "| op | size | dmactl MB/s | ucx_perftest MB/s | ratio | runs (dmactl / perftest) |"
echo "|---|---:|---:|---:|---:|---|"
for op in $ops; do
    for size in $sizes; do
        a=() b=()
        for ((run = 0; run < repeat; run++)); do
            mb=$(ours "$op" "$size")
            a+=("$mb")
            b+=("$(theirs "$op" "$size" "$(iterations_for "$mb" "$size")")")
        done
        x=$(median "${a[@]}") y=$(median "${b[@]}")
        ratio=$(python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print("%.3f" % (a / b) if a > 0 and b > 0 else "n/a")' "$x" "$y")
        echo "| $op | $size | $x | $y | $ratio | ${a[*]} / ${b[*]} |"
        if [[ $ratio == n/a ]] || python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$ratio" "$min_ratio"; then
            status=1
            below+=("$op $size: ratio $ratio below $min_ratio")
        fi
    done
done
echo
echo "(medians of $repeat alternating runs, dmactl --seconds $((2 * seconds)) (half measured) against perftest iterations for about $seconds s; MB = 10^6 bytes; load average after: $(load))"

if ((scaling)); then
    echo
    echo "Scaling: 1 server, N dmactl bench clients at once, $scaling_size bytes, qd $qd each, --seconds $((2 * seconds)); load average before: $(load)"
    echo
    echo "| op | clients | aggregate MB/s | per client MB/s | p99 latency, worst client (us) |"
    echo "|---|---:|---:|---|---:|"
    for op in $ops; do
        for clients in $clients_list; do
            pids=() outs=()
            for ((i = 0; i < clients; i++)); do
                out=$work/scaling-$op-$clients-$i.json
                outs+=("$out")
                NETNS_STDERR=$out.err netns_spawn B "$out" "$dmactl" --driver-dir "$plugin" --no-default-drivers \
                    --ucx-peer "$NETNS_ADDR_A:$server_port" bench --device "$device" --op "$op" --size "$scaling_size" \
                    --qd "$qd" --hot --seconds "$((2 * seconds))" --format json
                pids+=("$NETNS_PID")
            done
            for pid in "${pids[@]}"; do wait "$pid" || status=1; done
            python3 -c 'import json, sys
rates, p99 = [], []
for path in sys.argv[3:]:
    try:
        r = json.load(open(path))
        rates.append(r["gb_per_s"] * 1000 if r.get("verified") else 0.0)
        p99.append(r.get("p99_ns") or 0)
    except Exception:
        rates.append(0.0)
print("| %s | %s | %.1f | %s | %.0f |" % (sys.argv[1], sys.argv[2], sum(rates), " ".join("%.1f" % x for x in rates), max(p99 or [0]) / 1000))' \
                "$op" "$clients" "${outs[@]}"
        done
    done
    echo
    echo "(the clients' measured windows overlap but are not synchronised; load average after: $(load))"
fi
kill -TERM "$server_pid" 2> /dev/null
wait "$server_pid" 2> /dev/null
for miss in "${below[@]}"; do echo "FAILED: $miss"; done
exit "$status"
