#!/usr/bin/env bash
# rdma-bench.sh — RDMA throughput of DMAHost's RDMA backend against perftest, both measured in
# one qemu guest (Tests/VM/run-in-vm.sh) on the same soft-RoCE device (rxe0, GID index 1 =
# ::ffff:127.0.0.1), the same message sizes and the same queue depth:
#   write: `dmactl bench --op write` (spdk_memory_domain_push_data → RDMA WRITE) vs `ib_write_bw`
#   read:  `dmactl bench --op read`  (spdk_memory_domain_pull_data → RDMA READ)  vs `ib_read_bw`
# perftest reuses one buffer, so dmactl runs with --hot (one buffer per operation in flight,
# reused). The two alternate, --repeat times each (emulated soft-RoCE shares the host's CPUs, so
# single runs are noisy); the medians are compared. Prints one line per (operation, size) with
# both medians in MB/s (10^6 bytes/s), the ratio dmactl / perftest and every run, and exits 1
# when a ratio is below --min-ratio (default 0: report only).
#
# Usage: Tests/VM/rdma-bench.sh [--sizes "4096 65536 1048576"] [--qd 128] [--seconds 3] [--repeat 3] [--min-ratio R]
# Needs release builds of dmactl and the plugin: swift build -c release --product dmactl &&
#   swift build -c release --product dmahost-rdma
set -euo pipefail
cd "$(dirname "$0")/../.."

sizes="4096 65536 1048576"
qd=128
seconds=3
repeat=3
min_ratio=0
in_guest=0
while (($#)); do
  case $1 in
    --sizes) sizes=$2; shift 2 ;;
    --qd) qd=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --min-ratio) min_ratio=$2; shift 2 ;;
    --in-guest) in_guest=1; shift ;;
    *) echo "usage: $0 [--sizes \"S...\"] [--qd N] [--seconds S] [--repeat N] [--min-ratio R]" >&2; exit 2 ;;
  esac
done

bin=.build/release
if ((in_guest == 0)); then
  for file in "$bin/dmactl" "$bin/libdmahost-rdma.so"; do
    [[ -x $file || -f $file ]] || { echo "rdma-bench: $file missing: swift build -c release --product dmactl && swift build -c release --product dmahost-rdma" >&2; exit 2; }
  done
  exec bash Tests/VM/run-in-vm.sh --timeout 1800 -- bash Tests/VM/rdma-bench.sh --in-guest \
    --sizes "$sizes" --qd "$qd" --seconds "$seconds" --repeat "$repeat" --min-ratio "$min_ratio"
fi

# ---- in the guest
device=rxe0
port=18515
perftest() { # OP SIZE PORT -> MB/s (10^6) of the client's "BW average" (perftest reports MiB/s); 0 on failure
  local op=$1 size=$2 port=$3 server client line
  server=$(mktemp) client=$(mktemp)
  "ib_${op}_bw" -d "$device" -x 1 -p "$port" -s "$size" -t "$qd" -D "$seconds" -F >"$server" 2>&1 &
  local pid=$! try ok=0
  # The server needs a moment to listen (slow under emulation): retry the connection.
  for try in 1 2 3 4 5; do
    sleep 1
    if "ib_${op}_bw" -d "$device" -x 1 -p "$port" -s "$size" -t "$qd" -D "$seconds" -F 127.0.0.1 >"$client" 2>&1; then ok=1; break; fi
    grep -q "Couldn't connect" "$client" || break
  done
  if ((ok == 0)); then
    sed 's/^/  perftest: /' "$client" >&2
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$server" "$client"
    echo 0
    return
  fi
  wait "$pid" || true
  # Result line: "#bytes #iterations BW-peak BW-average MsgRate" with the size first.
  line=$(awk -v s="$size" '$1 == s && NF >= 5 { print $4 }' "$client" | tail -n 1)
  rm -f "$server" "$client"
  python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) * 1048576 / 1e6))' "${line:-0}"
}
dmactl_bench() { # OP SIZE -> MB/s (10^6)
  local op=$1 size=$2 out point
  # dmactl's --seconds is the wall time of the point, half of it the measured window: twice
  # perftest's -D measures as long as perftest does.
  point=$(awk -v s="$seconds" 'BEGIN { print 2 * s }')
  out=$("$bin/dmactl" bench --driver-dir "$bin/libdmahost-rdma.so" --no-default-drivers --device "rdma:$device" \
    --op "$op" --size "$size" --qd "$qd" --seconds "$point" --hot --format json 2>/dev/null) || { echo 0; return; }
  python3 -c 'import json, sys
r = json.loads(sys.argv[1])
print("%.2f" % (r["gb_per_s"] * 1000) if r["verified"] else "0")' "$out"
}

# Median of the successful runs (a failed run reports 0 and is left out; all failed: 0).
median() { python3 -c 'import statistics, sys; v = [float(x) for x in sys.argv[1:] if float(x) > 0]; print("%.2f" % (statistics.median(v) if v else 0))' "$@"; }

status=0
printf '%-6s %9s %14s %14s %8s   %s\n' op size "dmactl MB/s" "perftest MB/s" ratio "runs (dmactl | perftest)"
for op in write read; do
  for size in $sizes; do
    ours=() theirs=()
    for ((run = 0; run < repeat; run++)); do
      ours+=("$(dmactl_bench "$op" "$size")")
      port=$((port + 1))
      theirs+=("$(perftest "$op" "$size" "$port")")
    done
    a=$(median "${ours[@]}") b=$(median "${theirs[@]}")
    ratio=$(python3 -c 'import sys; a, b = map(float, sys.argv[1:]); print("%.3f" % (a / b) if b > 0 else "n/a")' "$a" "$b")
    printf '%-6s %9s %14s %14s %8s   %s | %s\n' "$op" "$size" "$a" "$b" "$ratio" "${ours[*]}" "${theirs[*]}"
    if [[ $ratio == n/a ]] || python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$ratio" "$min_ratio"; then status=1; fi
  done
done
echo "(medians of $repeat alternating runs of $seconds s; qd $qd; one guest, device $device; MB = 10^6 bytes)"
exit "$status"
