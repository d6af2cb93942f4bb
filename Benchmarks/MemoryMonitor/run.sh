#!/usr/bin/env bash
# Measures what the RDMA backend's memory monitor costs the program it watches: a munmap of a
# watched range waits until the monitor thread has read its event. Builds the monitor's C
# source with the benchmark (optimised) and prints medians of interleaved rounds, watched
# against unwatched in the same run.
# Usage: Benchmarks/MemoryMonitor/run.sh [ROUNDS] [ITERATIONS] [BYTES]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
monitor=Plugins/RDMAVerbs/CMemoryMonitor
cc -O2 -std=gnu11 -pthread -I "$monitor/include" "$monitor/memory_monitor.c" Benchmarks/MemoryMonitor/bench_monitor.c -o "$out/bench_monitor"
"$out/bench_monitor" "${1:-11}" "${2:-2000}" "${3:-65536}"
