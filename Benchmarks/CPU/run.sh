#!/usr/bin/env bash
# DMAHost — the CPU backend's performance targets, measured with `dmactl bench` (release build).
#
#   Benchmarks/CPU/run.sh [REPEATS] [SECONDS]
#
# Each configuration runs REPEATS times (default 3) for SECONDS seconds of wall time (default 4;
# `dmactl bench --seconds`: half of it is the measured device window, the rest baseline,
# warm-up and ceiling); every run measures its own baseline (raw memcpy/memset on the same buffers, same sizes, half
# before and half after the device run) and reports the device's ratio to it. The median run
# (by ratio) of each configuration is printed, with the spread of the ratios.
#
# Targets (copies pushed into cpu:0 through spdk_memory_domain_push_data, cold working set,
# each completion callback resubmitting its slot; the thread-resubmission runs are reported):
#   copy 64KiB qd 32, 1 worker   ratio >= 0.95 (GB/s vs one memcpy thread)
#   copy 64KiB qd 32, 2 workers  ratio >= min(1.8, 0.95 x ceiling), the ceiling being two raw
#                                memcpy threads on the same buffers (what memory bandwidth allows)
#   copy 4KiB qd 32, 1 worker    ratio >= 0.80 (operations/s vs a memcpy loop)
#   copy 64B qd 1, 1 worker, hot reported: framework overhead per operation (submit → completion)
#
# Timings depend on what else runs on the machine: run it on an otherwise idle machine. Before
# and after, it prints the CPU pressure (/proc/pressure/cpu, "some" avg10: the share of time
# runnable tasks waited for a CPU) and the round trip of a flag between two spinning threads
# (handoff.c), and warns when the machine was busy. Exits 0 when every target is met, 1 when
# one is missed, 2 on a setup error.
set -euo pipefail

REPEATS="${1:-3}"
SECONDS_PER_RUN="${2:-4}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
die() { echo "run.sh: $*" >&2; exit 2; }
[[ "$REPEATS" =~ ^[1-9][0-9]*$ ]] || die "REPEATS must be a positive integer, got '$REPEATS'"
command -v python3 >/dev/null || die "python3 not found (used to summarise the JSON reports)"

cd "$ROOT"
swift build -c release --product dmactl >&2 || die "swift build -c release --product dmactl failed"
swift build -c release --product dmahost-cpu >&2 || die "swift build -c release --product dmahost-cpu failed"
BIN="$(swift build -c release --show-bin-path)"
OUT="$ROOT/.build/bench-cpu"
mkdir -p "$OUT"
rm -f "$OUT"/*.json
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -pthread -o "$OUT/handoff" "$ROOT/Benchmarks/CPU/handoff.c" \
  || die "cannot compile handoff.c"

# machine_state <label>: CPU pressure and the two-thread hand-off round trip, one line.
busy=0
machine_state() {
  local pressure="n/a" handoff
  if [[ -r /proc/pressure/cpu ]]; then
    pressure="$(awk '/^some/ { split($2, a, "="); print a[2] }' /proc/pressure/cpu)"
    awk -v p="$pressure" 'BEGIN { exit !(p > 10) }' && busy=1
  fi
  handoff="$("$OUT/handoff")"
  (( handoff > 2000 )) && busy=1
  echo "machine $1: CPU pressure (some, avg10) ${pressure}%, two-thread hand-off ${handoff} ns, load $(cut -d' ' -f1-3 /proc/loadavg)"
}

configs=(
  "t64k-w1|--op copy --size 64KiB --qd 32 --workers 1"
  "t64k-w2|--op copy --size 64KiB --qd 32 --workers 2"
  "t4k-w1|--op copy --size 4KiB --qd 32 --workers 1"
  "t4k-w2|--op copy --size 4KiB --qd 32 --workers 2"
  "t64k-w2-thr|--op copy --size 64KiB --qd 32 --workers 2 --resubmit thread"
  "t64b-w1|--op copy --size 64B --qd 1 --workers 1 --hot"
  "t64b-w1-thr|--op copy --size 64B --qd 1 --workers 1 --hot --resubmit thread"
  "t64b-poll|--op copy --size 64B --qd 1 --workers 1 --hot --completion poll"
  "t64m-w2|--op copy --size 64MiB --qd 1 --workers 2"
  "fill64k-w1|--op fill --size 64KiB --qd 32 --workers 1"
)

machine_state before
for config in "${configs[@]}"; do
  name="${config%%|*}"
  args="${config#*|}"
  for run in $(seq 1 "$REPEATS"); do
    # shellcheck disable=SC2086
    "$BIN/dmactl" bench --no-default-drivers --driver-dir "$BIN/libdmahost-cpu.so" --device cpu:0 \
      $args --seconds "$SECONDS_PER_RUN" --format json > "$OUT/$name.$run.json" \
      || die "dmactl bench $args failed (see $OUT/$name.$run.json)"
  done
done
machine_state after
if (( busy )); then
  echo "WARNING: the machine was busy (other processes competing for the CPUs); these timings say more about them than about DMAHost"
fi

python3 - "$OUT" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
runs = {}
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    name = os.path.basename(path).split(".")[0]
    with open(path) as f:
        runs.setdefault(name, []).append(json.load(f))

def median_run(name):
    ordered = sorted(runs[name], key=lambda r: r["ratio"])
    return ordered[len(ordered) // 2], [r["ratio"] for r in ordered]

print(f"{'config':11} {'op':4} {'size':>9} {'qd':>3} {'wk':>2} {'GB/s':>7} {'Mops/s':>8} {'base GB/s':>9} "
      f"{'ratio':>6} {'ratios (min..max)':>18} {'ceil GB/s':>9} {'p50 ns':>8} {'p99 ns':>8} {'ovh ns/op':>9}")
for name in runs:
    r, ratios = median_run(name)
    ceiling = r.get("ceiling_gb_per_s")
    print(f"{name:11} {r['operation']:4} {r['size_bytes']:>9} {r['queue_depth']:>3} {r['workers']:>2} {r['gb_per_s']:7.2f} {r['million_ops_per_s']:8.3f} "
          f"{r['baseline_gb_per_s']:9.2f} {r['ratio']:6.3f} {min(ratios):8.3f}..{max(ratios):<8.3f} "
          f"{(ceiling if ceiling is not None else float('nan')):9.2f} {r['p50_ns'] or 0:8d} {r['p99_ns'] or 0:8d} "
          f"{r['overhead_ns_per_op']:9.0f}")

failed = []
def check(label, value, target):
    ok = value >= target
    print(f"{'PASS' if ok else 'FAIL'}  {label}: {value:.3f} (target >= {target:.3f})")
    if not ok:
        failed.append(label)

r, _ = median_run("t64k-w1"); check("copy 64KiB qd32, 1 worker, ratio to memcpy", r["ratio"], 0.95)
r, _ = median_run("t64k-w2")
allowed = r["ceiling_gb_per_s"] / r["baseline_gb_per_s"]
print(f"      two raw memcpy threads reach {allowed:.2f}x one thread on this machine (the ceiling)")
check("copy 64KiB qd32, 2 workers, ratio to one memcpy thread", r["ratio"], min(1.8, 0.95 * allowed))
r, _ = median_run("t4k-w1"); check("copy 4KiB qd32, 1 worker, ops/s ratio to a memcpy loop", r["ratio"], 0.80)
r, _ = median_run("t64k-w2-thr")
print(f"INFO  copy 64KiB qd32, 2 workers, one submitting thread instead of callback resubmission: ratio {r['ratio']:.3f}")
for name in ("t64b-w1", "t64b-w1-thr", "t64b-poll"):
    r, _ = median_run(name)
    print(f"INFO  copy 64B qd1 ({r['completion']} completions, resubmitted by the {r['resubmit']}): {r['ns_per_op']:.0f} ns per round trip, "
          f"memcpy {r['baseline_ns_per_op']:.1f} ns, framework overhead {r['overhead_ns_per_op']:.0f} ns/op, "
          f"p50 {r['p50_ns']} ns, p99 {r['p99_ns']} ns")
sys.exit(1 if failed else 0)
PY
