#!/usr/bin/env bash
# DMAHost — how cost grows: with the number of domains, of loaded plugins, with queue depth and
# workers. One command, text tables on stdout, every record as a JSON line.
#
#   Benchmarks/Growth/run.sh [--runs N] [--seconds S] [--jsonl FILE] [--curves LIST]
#
#   --runs N       runs per point; tables show medians (default 5)
#   --seconds S    wall time of each queue-depth point (dmactl bench --seconds; default 2)
#   --jsonl FILE   also write every record as JSON lines (Scripts/plot-bench.py --growth FILE
#                  plots them)
#   --curves LIST  a comma-separated subset of domains,plugins,queue-depth (default: all)
#
# Curves (release build; Benchmarks/Growth/growth.py describes the records):
#   domains      1, 10, 100, 1,000, 10,000 domains with distinct ids: ns per create, per lookup
#                by id (spdk_memory_domain_get_first(id), every id in a scattered order), per
#                walk step and per whole walk (get_first(NULL), get_next to the end), per
#                destroy. growth_domains.c, linked against libDMAHost.so and, for comparison,
#                against Benchmarks/CABI/baseline_dma.c, a plain C list as SPDK's dma.c keeps.
#   plugins      1 ... 64 C plugins generated from Templates/CPlugin (cc -shared against
#                Sources/CDMAHostABI/include, each its own driver name), put in a temporary
#                directory named by DMAHOST_DRIVER_PATH: load and probe µs of `dmactl list
#                --timing --no-open --format json`.
#   queue-depth  dmactl bench --device cpu:0 --op copy --size 4KiB, queue depths 1 ... 256,
#                1 and 2 CPU workers: throughput and p99 latency (the sweep's JSON lines).
#
# A script over a C driver and the existing tools, not a dmactl subcommand: the domain curve
# measures the C ABI an SPDK program calls, and compares it with a plain C list, which only a
# program linked against each library can do; the plugin curve needs plugins built and a fresh
# process per run (loading is once per process); the queue-depth curve is dmactl bench's sweep
# as it is. dmactl stays a tool for devices; growth.py summarises, prints and checks.
#
# Wall-time measurements: run it on a machine as idle as you can get; the first lines give the
# load average. Checked: a lookup by id among 10,000 domains takes at most twice as long as
# among 10. Exits 0 when the check passes (or was not run), 1 when it fails, 2 on a setup error.
set -euo pipefail
shopt -s inherit_errexit

RUNS=5
SECONDS_PER_POINT=2
JSONL=""
CURVES="domains,plugins,queue-depth"
DOMAIN_COUNTS=(1 10 100 1000 10000)
PLUGIN_COUNTS=(1 2 4 8 16 32 64)
QUEUE_DEPTHS="1,2,4,8,16,32,64,128,256"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/Benchmarks/Growth"
OUT="$ROOT/.build/bench-growth"
CC="${CC:-cc}"

die() { echo "run.sh: $*" >&2; exit 2; }

while (($# > 0)); do
    case "$1" in
        --runs) RUNS="${2:-}"; shift 2 || die "--runs needs a value" ;;
        --seconds) SECONDS_PER_POINT="${2:-}"; shift 2 || die "--seconds needs a value" ;;
        --jsonl) JSONL="${2:-}"; shift 2 || die "--jsonl needs a file" ;;
        --curves) CURVES="${2:-}"; shift 2 || die "--curves needs a list" ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]?$ ]] || die "--runs must be 1...99, got '$RUNS'"
[[ "$SECONDS_PER_POINT" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--seconds must be a number, got '$SECONDS_PER_POINT'"
wants() { [[ ",$CURVES," == *",$1,"* ]]; }
for curve in ${CURVES//,/ }; do
    [[ "$curve" == domains || "$curve" == plugins || "$curve" == queue-depth ]] \
        || die "unknown curve '$curve' (domains, plugins, queue-depth)"
done
command -v python3 >/dev/null || die "python3 not found (it summarises the records)"
command -v "$CC" >/dev/null || die "C compiler '$CC' not found; set CC"

cd "$ROOT"
for product in DMAHost dmactl dmahost-cpu; do
    swift build -c release --product "$product" >&2 || die "swift build -c release --product $product failed"
done
BIN="$(swift build -c release --show-bin-path)"
rm -rf "$OUT"
mkdir -p "$OUT"
RECORDS="$OUT/growth.jsonl"
: >"$RECORDS"

echo "DMAHost cost growth, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

CFLAGS=(-std=c11 -O2 -Wall -Wextra -Werror -I "$ROOT/Sources/CDMAHostABI/include")

if wants domains; then
    mkdir -p "$OUT/baseline"
    "$CC" "${CFLAGS[@]}" -fPIC -shared -o "$OUT/baseline/libDMAHost.so" "$ROOT/Benchmarks/CABI/baseline_dma.c" -lpthread \
        || die "cannot compile Benchmarks/CABI/baseline_dma.c"
    "$CC" "${CFLAGS[@]}" -o "$OUT/growth_domains" "$HERE/growth_domains.c" -L "$BIN" -lDMAHost -Wl,-rpath,"$BIN" \
        || die "cannot compile growth_domains.c against $BIN/libDMAHost.so"
    "$CC" "${CFLAGS[@]}" -o "$OUT/growth_domains_baseline" "$HERE/growth_domains.c" -L "$OUT/baseline" -lDMAHost \
        -Wl,-rpath,"$OUT/baseline" || die "cannot compile growth_domains.c against the C list"
    "$OUT/growth_domains" "$RUNS" "${DOMAIN_COUNTS[@]}" >"$OUT/domains.jsonl" || die "growth_domains failed"
    "$OUT/growth_domains_baseline" "$RUNS" "${DOMAIN_COUNTS[@]}" >"$OUT/domains-baseline.jsonl" \
        || die "growth_domains against the C list failed"
    python3 -c 'import json, sys
for path, library in ((sys.argv[1], "DMAHost"), (sys.argv[2], "C list")):
    for line in open(path):
        print(json.dumps(dict(json.loads(line), library=library)))' "$OUT/domains.jsonl" "$OUT/domains-baseline.jsonl" >>"$RECORDS"
fi

if wants plugins; then
    # The plugin search trusts only directories nobody else may write (mkdtemp: 0700).
    POOL="$(mktemp -d)"
    trap 'rm -rf "$POOL"' EXIT
    max="${PLUGIN_COUNTS[${#PLUGIN_COUNTS[@]}-1]}"
    for ((n = 1; n <= max; n++)); do
        name="$(printf 'growth-%02d' "$n")"
        "$CC" -std=c11 -O2 -Wall -Wextra -I "$ROOT/Sources/CDMAHostABI/include" -DDRIVER_NAME="\"$name\"" \
            -shared -fPIC -Wl,-z,defs -o "$POOL/libdmahost-$name.so" "$ROOT/Templates/CPlugin/example_plugin.c" \
            || die "cannot compile plugin $name from Templates/CPlugin/example_plugin.c"
        chmod 0644 "$POOL/libdmahost-$name.so"
    done
    for count in "${PLUGIN_COUNTS[@]}"; do
        dir="$POOL/set-$count"
        mkdir -m 0700 "$dir"
        for ((n = 1; n <= count; n++)); do
            cp "$POOL/libdmahost-$(printf 'growth-%02d' "$n").so" "$dir/"
        done
        documents=()
        for ((run = 1; run <= RUNS; run++)); do
            document="$OUT/plugins-$count-$run.json"
            DMAHOST_DRIVER_PATH="$dir" "$BIN/dmactl" list --timing --no-open --format json >"$document" \
                || die "dmactl list with $count plugins failed; see $document"
            documents+=("$document")
        done
        python3 "$HERE/growth.py" plugins-point "$count" "${documents[@]}" >>"$RECORDS" \
            || die "cannot summarise the runs with $count plugins"
    done
fi

if wants queue-depth; then
    for workers in 1 2; do
        sweep="$OUT/queue-depth-w$workers.jsonl"
        "$BIN/dmactl" bench --device cpu:0 --op copy --size 4KiB --queue-depths "$QUEUE_DEPTHS" --workers "$workers" \
            --seconds "$SECONDS_PER_POINT" --output-format jsonl >"$sweep" || die "dmactl bench with $workers workers failed"
        python3 "$HERE/growth.py" queue-depth "$sweep" >>"$RECORDS" || die "cannot read $sweep"
    done
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
if [[ -n "$JSONL" ]]; then
    cp "$RECORDS" "$JSONL" || die "cannot write $JSONL"
fi
status=0
python3 "$HERE/growth.py" tables "$RECORDS" || status=$?
(( status <= 1 )) || die "cannot print the tables of $RECORDS"
exit "$status"
