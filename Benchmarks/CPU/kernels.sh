#!/usr/bin/env bash
# DMAHost — the copy kernels alone (Benchmarks/CPU/kernels.c): builds it with cc -O2 into
# .build/bench-cpu/ and runs it with the given arguments.
#
#   Benchmarks/CPU/kernels.sh [hot|cold|all] [--rounds N] [--ms M] [--source-offset B]
#                             [--size BYTES] [--only NAME,NAME...]
#
# One thread, no engine: each candidate kernel alternates with glibc memcpy over the same
# buffers; see kernels.c for what hot and cold mean and what is printed. x86-64 only. Timings
# depend on what else runs: run it on an otherwise idle machine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/.build/bench-cpu"
die() { echo "kernels.sh: $*" >&2; exit 2; }
[[ "$(uname -m)" == x86_64 ]] || die "the candidate kernels are x86-64 code; this machine is $(uname -m)"
mkdir -p "$OUT"
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -o "$OUT/kernels" "$ROOT/Benchmarks/CPU/kernels.c" \
  || die "cannot compile kernels.c"
exec "$OUT/kernels" "$@"
