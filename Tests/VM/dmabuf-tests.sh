#!/usr/bin/env bash
# dmabuf-tests.sh — runs the dma-buf hardware suites (udmabuf, dma-buf heaps, vgem PRIME) in the
# qemu guest of Tests/VM/run-in-vm.sh, on the test binary already built on the host
# (`swift build --build-tests`). Inside the guest the suites named DMABufHardware… are enabled
# (DMAHOST_IN_VM=1) and a missing device is a failure there, not a skip.
#
# Usage: Tests/VM/dmabuf-tests.sh [--timeout SECONDS] [--bin-path DIR] [extra test-binary arguments...]
#   --bin-path DIR  the build directory holding DMAHostPackageTests.xctest and the plugins
#                   (default: `swift build --show-bin-path`; e.g. .build-asan/debug for the
#                   AddressSanitizer build, `swift build --build-tests --sanitize=address --scratch-path .build-asan`)
# Exit status: the test binary's (0 = all passed), or run-in-vm.sh's infrastructure codes (122-125).
set -euo pipefail
cd "$(dirname "$0")/../.."

timeout=900
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
  echo "dmabuf-tests: $binary missing: run 'swift build --build-tests' first" >&2
  exit 2
fi

echo "== dma-buf hardware suites in the guest (filter DMABufHardware)"
exec bash Tests/VM/run-in-vm.sh --timeout "$timeout" -- \
  "$binary" --testing-library swift-testing --filter DMABufHardware "$@"
