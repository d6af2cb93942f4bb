#!/usr/bin/env bash
# run-suites.sh — shared body of the hardware-suite scripts (dmabuf-tests.sh, rdma-tests.sh):
# runs the test binary already built on the host (`swift build --build-tests`) in the qemu guest
# of Tests/VM/run-in-vm.sh, filtered to the given suites. In the guest (DMAHOST_IN_VM=1) those
# suites are enabled and a missing device fails them instead of skipping them.
#
# Usage: Tests/VM/run-suites.sh NAME FILTER DEFAULT_TIMEOUT REQUIRED_FILE|- \
#            [--timeout SECONDS] [--bin-path DIR] [extra test-binary arguments...]
#   NAME           prefix of messages (e.g. rdma-tests)
#   FILTER         the test binary's --filter (e.g. 'RDMAHardware|RDMAPluginLoad')
#   REQUIRED_FILE  a file that must exist in the build directory besides the test binary
#                  (e.g. libdmahost-rdma.so), or - for none
#   --bin-path DIR the build directory holding DMAHostPackageTests.xctest and the plugins
#                  (default: `swift build --show-bin-path`; e.g. .build-asan/debug for a build made
#                  with `swift build --build-tests --sanitize=address --scratch-path .build-asan`)
# Exit status: the test binary's (0 = all passed), 2 for a missing build product, or
# run-in-vm.sh's infrastructure codes (122-125).
set -euo pipefail
cd "$(dirname "$0")/../.."

name=$1 filter=$2 timeout=$3 required=$4
shift 4
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
needed=("$binary")
[[ $required == - ]] || needed+=("$bin_dir/$required")
for file in "${needed[@]}"; do
  if [[ ! -e $file ]]; then
    echo "$name: $file missing: run 'swift build --build-tests' first" >&2
    exit 2
  fi
done

echo "== $name: hardware suites in the guest (filter $filter)"
exec bash Tests/VM/run-in-vm.sh --timeout "$timeout" -- \
  "$binary" --testing-library swift-testing --filter "$filter" "$@"
