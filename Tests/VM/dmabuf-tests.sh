#!/usr/bin/env bash
# dmabuf-tests.sh — runs the dma-buf hardware suites (udmabuf, dma-buf heaps, vgem PRIME) in the
# qemu guest of Tests/VM/run-in-vm.sh, on the test binary already built on the host
# (`swift build --build-tests`). Inside the guest the suites named DMABufHardware… are enabled
# (DMAHOST_IN_VM=1) and a missing device is a failure there, not a skip.
#
# Usage: Tests/VM/dmabuf-tests.sh [--timeout SECONDS] [extra test-binary arguments...]
# Exit status: the test binary's (0 = all passed), or run-in-vm.sh's infrastructure codes (122-125).
set -euo pipefail
cd "$(dirname "$0")/../.."

timeout=900
if [[ ${1:-} == --timeout ]]; then
  timeout=$2
  shift 2
fi

bin_dir=$(swift build --show-bin-path 2>/dev/null || echo .build/debug)
binary="$bin_dir/DMAHostPackageTests.xctest"
if [[ ! -x $binary ]]; then
  echo "dmabuf-tests: $binary missing: run 'swift build --build-tests' first" >&2
  exit 2
fi

echo "== dma-buf hardware suites in the guest (filter DMABufHardware)"
exec bash Tests/VM/run-in-vm.sh --timeout "$timeout" -- \
  "$binary" --testing-library swift-testing --filter DMABufHardware "$@"
