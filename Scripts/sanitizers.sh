#!/usr/bin/env bash
# Builds the package and its tests instrumented with a sanitizer and runs, against that build:
# the host test suites and a bounded `dmactl stress` on the host, and with --guest also the
# RDMA and dma-buf hardware suites in the qemu guest (Tests/VM). Each sanitizer has its own
# build directory (.build-tsan, .build-asan), so a rerun only rebuilds what changed.
#
# Usage: Scripts/sanitizers.sh thread|address [--guest] [--stress-seconds N]
#   thread    ThreadSanitizer: any data race or lock-order report fails the run (exit code 66).
#   address   AddressSanitizer with LeakSanitizer: any memory error aborts the run, and a leak
#             outside the suppressions of Tests/SanitizerDefaults fails it at exit.
#   --guest   also run Tests/VM/rdma-tests.sh, Tests/VM/dmabuf-tests.sh and Tests/VM/stress.sh
#             on this build (each boots the guest once; under emulation they take minutes).
#   --stress-seconds N   length of each `dmactl stress` run (default 10; 0 skips them).
# Exit status: 0 all clean, 1 a suite or the stress run failed, 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
kind=$1
shift
case $kind in
  thread) scratch=.build-tsan ;;
  address) scratch=.build-asan ;;
  *) usage ;;
esac
guest=0 stress_seconds=10
while (($#)); do
  case $1 in
    --guest) guest=1; shift ;;
    --stress-seconds) stress_seconds=$2; shift 2 ;;
    *) usage ;;
  esac
done

# Fail on the first report; LeakSanitizer on (the default on Linux, stated for the reader).
export TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1 ${ASAN_OPTIONS:-}"

echo "== sanitizer $kind: build ($scratch)"
swift build --build-tests --sanitize="$kind" --scratch-path "$scratch"
bin=$(swift build --sanitize="$kind" --scratch-path "$scratch" --show-bin-path)

failed=()
echo "== sanitizer $kind: host test suites"
swift test --skip-build --sanitize="$kind" --scratch-path "$scratch" || failed+=("host suites")

if [[ $stress_seconds != 0 ]]; then
  echo "== sanitizer $kind: dmactl stress on the host ($stress_seconds s)"
  "$bin/dmactl" stress --seconds "$stress_seconds" || failed+=("dmactl stress")
fi

if ((guest)); then
  for suite in Tests/VM/rdma-tests.sh Tests/VM/dmabuf-tests.sh; do
    echo "== sanitizer $kind: $suite in the guest"
    bash "$suite" --timeout 1800 --bin-path "$bin" || failed+=("$suite")
  done
  if [[ $stress_seconds != 0 ]]; then
    echo "== sanitizer $kind: dmactl stress in the guest ($stress_seconds s)"
    bash Tests/VM/stress.sh --seconds "$stress_seconds" --timeout 1800 --bin-path "$bin" || failed+=("Tests/VM/stress.sh")
  fi
fi

if ((${#failed[@]})); then
  echo "sanitizer $kind: FAILED: ${failed[*]}"
  exit 1
fi
echo "sanitizer $kind: clean"
