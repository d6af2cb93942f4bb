#!/usr/bin/env bash
# The long checks that do not fit in CI's time: the RDMA and dma-buf guest suites under
# ThreadSanitizer and AddressSanitizer (with the host suites and a longer `dmactl stress`), every
# fuzz target for 10 minutes, a 5-minute `dmactl stress` in the guest and the full RDMA
# throughput sweep against perftest. Run it on an idle machine (one night: about 3 hours on
# 2 cores); it installs what it needs like Scripts/test.sh. Exits non-zero if anything failed,
# after running everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh

failed=()
for kind in thread address; do
  bash Scripts/sanitizers.sh "$kind" --guest --stress-seconds 60 || failed+=("sanitizer $kind")
done

echo "== fuzz targets, 10 minutes each"
bash Scripts/fuzz.sh all 600 || failed+=("fuzz")

echo "== dmactl stress in the guest (5 minutes)"
swift build --build-tests
bash Tests/VM/stress.sh --seconds 300 --timeout 900 || failed+=("Tests/VM/stress.sh")

echo "== RDMA throughput sweep against perftest"
if swift build -c release --product dmactl && swift build -c release --product dmahost-rdma; then
  bash Tests/VM/rdma-bench.sh || failed+=("Tests/VM/rdma-bench.sh")
else
  failed+=("release build for Tests/VM/rdma-bench.sh")
fi

if ((${#failed[@]})); then
  echo "nightly: FAILED: ${failed[*]}"
  exit 1
fi
echo "nightly: all clean"
