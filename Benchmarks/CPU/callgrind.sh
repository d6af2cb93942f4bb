#!/usr/bin/env bash
# DMAHost — instructions per operation of the CPU backend's submitter-side hot paths, with
# callgrind (repeatable, unlike timings on a shared machine).
#
#   Benchmarks/CPU/callgrind.sh [N]
#
# Builds the release libDMAHost.so and libdmahost-cpu.so and bench_cpu_ops.c (-O2), then runs
# bench_cpu_ops under `valgrind --tool=callgrind` with N and with 0 operations of 64 bytes
# (cpu:0, 1 worker, poll completions, one operation at a time) and reads the inclusive
# instruction counts (callees included) of each step with callgrind_annotate: submission
# (spdk_memory_domain_push_data: registry dispatch → plugin callback → engine), and on the
# worker the claim of a batch, running its parts (the memcpy of 64 bytes included) and
# completing them, then the poll function's delivery (reap → completion callback).
# Instructions per operation = (Ir(N) - Ir(0)) / N; each batch holds one operation here, so
# the claim is counted whole (with 32 operations in flight it is shared by the batch). Then the
# same in worker mode with the completion callback resubmitting (bench_cpu_ops … chain): the
# whole round trip, every thread counted.
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

# profile <n> [chain]: callgrind of bench_cpu_ops with n operations (poll mode, or with
# "chain" worker mode and callback resubmission); prints the output file.
profile() {
    local file="$OUT/callgrind.${2:-poll}.$1.out" mode=poll
    [[ "${2:-}" == chain ]] && mode=worker
    DMAHOST_CPU_WORKERS=1 DMAHOST_CPU_COMPLETION=$mode valgrind --tool=callgrind --callgrind-out-file="$file" \
        "$OUT/bench_cpu_ops" "$OUT/libdmahost-cpu.so" "$1" ${2:-} 2>"$OUT/valgrind.$1.log" \
        || die "bench_cpu_ops $1 ${2:-} failed; see $OUT/valgrind.$1.log"
    echo "$file"
}

# total <callgrind file>: instructions of the whole run, every thread.
total() { awk '/^(totals|summary):/ { print $2; exit }' "$1"; }

# inclusive <callgrind file> <pattern>: instructions of every function whose (mangled) name
# matches the extended regular expression, callees included, summed.
inclusive() {
    callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null \
        | awk -v pattern="$2" '$0 ~ pattern { gsub(",", "", $1); total += $1 } END { printf "%d", total }'
}

full="$(profile "$N")"
base="$(profile 0)"
per_op() {
    awk -v a="$(inclusive "$full" "$1")" -v b="$(inclusive "$base" "$1")" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }'
}

echo "callgrind instructions per 64-byte operation, N=$N (release build, $CC -O2 driver, 1 worker, poll completions)"
printf '  %-62s %8s\n' "submit: spdk_memory_domain_push_data (dispatch, callback, engine)" "$(per_op ':spdk_memory_domain_push_data ')"
printf '  %-62s %8s\n' "claim: the worker takes a batch from the ring (EngineCore.claimBatch)" "$(per_op 'claimBatch')"
printf '  %-62s %8s\n' "copy: the worker runs the parts (EngineCore.runParts, memcpy)" "$(per_op 'runParts')"
printf '  %-62s %8s\n' "complete: the worker finishes them (EngineCore.completeParts)" "$(per_op 'completeParts')"
printf '  %-62s %8s\n' "deliver: the domain's poll function (reap, callback)" "$(per_op 'cpuDomainPoll')"

chain_full="$(profile "$N" chain)"
chain_base="$(profile 0 chain)"
echo "callgrind instructions per 64-byte round trip, worker completions, the callback resubmitting (every thread)"
printf '  %-62s %8s\n' "round trip: complete → callback → submit → copy (1 worker)" \
    "$(awk -v a="$(total "$chain_full")" -v b="$(total "$chain_base")" -v n="$N" 'BEGIN { printf "%.1f", (a - b) / n }')"
