#!/usr/bin/env bash
# DMAHost — instructions per operation of the CPU backend's submitter-side hot paths, with
# callgrind (repeatable, unlike timings on a shared machine).
#
#   Benchmarks/CPU/callgrind.sh [N]
#
# Builds the release libDMAHost.so and libdmahost-cpu.so and bench_cpu_ops.c (-O2), then runs
# bench_cpu_ops under `valgrind --tool=callgrind` with N and with 0 operations of 64 bytes
# (cpu:0, 1 worker, poll completions), counting only inside spdk_memory_domain_push_data
# (registry dispatch → plugin callback → engine submission) and inside the domain's poll
# function (reap → completion callback). Instructions per operation = (Ir(N) - Ir(0)) / N.
# The worker's side (claim, memcpy, mark done) runs on another thread and is not counted.
# Valgrind 3.19 cannot read Swift's DWARF 5, so the libraries are copied without debug info.
set -euo pipefail

N="${1:-20000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/.build/bench-cpu-callgrind"
CC="${CC:-cc}"
die() { echo "callgrind.sh: $*" >&2; exit 2; }
command -v valgrind >/dev/null || die "valgrind not found; install it with: apt-get install valgrind"
command -v objcopy >/dev/null || die "objcopy not found; install it with: apt-get install binutils"
[[ "$N" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$N'"

cd "$ROOT"
swift build -c release --product DMAHost >&2 || die "swift build -c release --product DMAHost failed"
swift build -c release --product dmahost-cpu >&2 || die "swift build -c release --product dmahost-cpu failed"
BIN="$(swift build -c release --show-bin-path)"
mkdir -p "$OUT"
objcopy --strip-debug "$BIN/libDMAHost.so" "$OUT/libDMAHost.so"
objcopy --strip-debug "$BIN/libdmahost-cpu.so" "$OUT/libdmahost-cpu.so"
"$CC" -std=gnu11 -O2 -Wall -Wextra -Werror -I "$ROOT/Sources/CDMAHostABI/include" \
    -o "$OUT/bench_cpu_ops" "$ROOT/Benchmarks/CPU/bench_cpu_ops.c" -L "$OUT" -lDMAHost -Wl,-rpath,"$OUT" \
    || die "cannot compile bench_cpu_ops.c"

# total_ir <function glob> <n>
total_ir() {
    local function="$1" n="$2" file="$OUT/callgrind.$3.$2.out"
    DMAHOST_CPU_WORKERS=1 DMAHOST_CPU_COMPLETION=poll valgrind --tool=callgrind --callgrind-out-file="$file" \
        --toggle-collect="$function" "$OUT/bench_cpu_ops" "$OUT/libdmahost-cpu.so" "$n" 2>"$OUT/valgrind.$3.$n.log" \
        || die "bench_cpu_ops $n failed; see $OUT/valgrind.$3.$n.log"
    awk '/^(totals|summary):/ { print $2; exit }' "$file"
}

per_op() {
    local base full
    base="$(total_ir "$1" 0 "$2")"
    full="$(total_ir "$1" "$N" "$2")"
    awk -v a="$full" -v b="$base" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }'
}

echo "callgrind instructions per 64-byte operation, N=$N (release build, $CC -O2 driver)"
printf '  %-58s %8s\n' "submission: spdk_memory_domain_push_data → engine" "$(per_op spdk_memory_domain_push_data push)"
printf '  %-58s %8s\n' "completion: the domain's poll function (reap + callback)" "$(per_op '*cpuDomainPoll*' poll)"
