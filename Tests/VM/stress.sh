#!/usr/bin/env bash
# stress.sh — `dmactl stress` in the qemu guest of Tests/VM/run-in-vm.sh, over every backend
# at once: RDMA (rdma:rxe0 on soft-RoCE), dma-buf (dmaengine:udmabuf and whatever else the
# dmaengine backend finds there: dma-heaps, vgem), the CPU backend and both vendor samples.
# Every one of those devices must be there: a missing one is exit 3, not a smaller run.
# Uses the dmactl and plugins already built on the host (`swift build`); do not rebuild them
# while it runs.
#
# Usage: Tests/VM/stress.sh [--seconds N] [--timeout SECONDS] [--bin-path DIR] [extra dmactl stress options...]
#   --seconds N        how long dmactl stress submits (default 30)
#   --timeout SECONDS  bound on the whole guest run, boot included (default 600)
#   --bin-path DIR     the build directory holding dmactl and the plugins (default: `swift build --show-bin-path`)
# Exit status: dmactl stress's (0 passed; 1 a failed or wrong operation, a completion fault or a
# registry problem; 3 a device is missing; 6 an operation timed out), 2 for a missing build
# product, or run-in-vm.sh's infrastructure codes (122-125).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=30
timeout=600
bin_dir=
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --bin-path) bin_dir=$2; shift 2 ;;
    *) break ;;
  esac
done
[[ -n $bin_dir ]] || bin_dir=$(swift build --show-bin-path 2>/dev/null || echo .build/debug)
for file in dmactl libdmahost-rdma.so libdmahost-dmaengine.so libdmahost-cpu.so libdmahost-vendor-c.so libdmahost-vendor-swift.so; do
  if [[ ! -e $bin_dir/$file ]]; then
    echo "stress: $bin_dir/$file missing: run 'swift build' first" >&2
    exit 2
  fi
done

echo "== stress: dmactl stress --seconds $seconds in the guest (rdma, dma-buf, cpu, vendor devices)"
exec bash Tests/VM/run-in-vm.sh --timeout "$timeout" -- "$bin_dir/dmactl" stress --seconds "$seconds" \
  --device rdma:rxe0 --device dmaengine:udmabuf --device 'dmaengine:*' --device 'cpu:*' \
  --device 'vendor-c:*' --device 'vendor-swift:*' "$@"
