#!/usr/bin/env bash
# rdma-tests.sh — runs the RDMA hardware suites (RDMAHardware…: soft-RoCE rxe0, RDMA READ/WRITE,
# translation, errors and recovery, 10,000-operation stress, dma-buf registration, the plugin
# through the driver host) in the qemu guest of Tests/VM/run-in-vm.sh, on the test binary already
# built on the host (`swift build --build-tests`). In the guest (DMAHOST_IN_VM=1) the suites are
# enabled and a missing device fails them instead of skipping them.
#
# Usage: Tests/VM/rdma-tests.sh [--timeout SECONDS] [--bin-path DIR] [extra test-binary arguments...]
#   --bin-path DIR  the build directory holding DMAHostPackageTests.xctest and libdmahost-rdma.so
#                   (default: `swift build --show-bin-path`; e.g. .build-asan/debug for a build made
#                   with `swift build --build-tests --sanitize=address --scratch-path .build-asan`)
# Exit status: the test binary's (0 = all passed), or run-in-vm.sh's infrastructure codes (122-125).
set -euo pipefail
cd "$(dirname "$0")/../.."

timeout=1200
bin_dir=
while (($#)); do
  case $1 in
    --timeout) timeout=$2; shift 2 ;;
    --bin-path) bin_dir=$2; shift 2 ;;
    *) break ;;
  esac
done
[[ -n $bin_dir ]] || bin_dir=$(swift build --show-bin-path 2>/dev/null || echo .build/debug)
binary="$bin_dir/DMAHostPackageTests.xctest"
if [[ ! -x $binary ]]; then
  echo "rdma-tests: $binary missing: run 'swift build --build-tests' first" >&2
  exit 2
fi
if [[ ! -f $bin_dir/libdmahost-rdma.so ]]; then
  echo "rdma-tests: $bin_dir/libdmahost-rdma.so missing: run 'swift build --build-tests' first" >&2
  exit 2
fi

echo "== RDMA hardware suites in the guest (filter RDMAHardware|RDMAPluginLoad)"
exec bash Tests/VM/run-in-vm.sh --timeout "$timeout" -- \
  "$binary" --testing-library swift-testing --filter 'RDMAHardware|RDMAPluginLoad' "$@"
