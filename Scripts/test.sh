#!/usr/bin/env bash
# Runs every test suite: the hardware suites inside a qemu guest (RDMA over soft-RoCE,
# dma-buf over udmabuf and vgem), `dmactl stress` on the host (CPU backend, vendor samples) and
# in the guest (every backend), the instruction-count gate of the C ABI hot paths, the RDMA
# throughput gate (4 KiB READ and WRITE against perftest in the guest, ratio >= 0.9), the UCX
# suite between two network namespaces on the host (Tests/UCX/run.sh) and its throughput gate
# (64 KiB read and write against ucx_perftest between the same namespaces, ratio >= 0.9), the
# install test (Tests/Install/run.sh: install into a temporary prefix, then build and run a C
# application and both plugin templates against it as a user would), a short
# run of every fuzz target (Scripts/fuzz.sh), the host suites (hardware tests skip there with
# their reason), and last the host suites and a short `dmactl stress` again under
# ThreadSanitizer and under AddressSanitizer (Scripts/sanitizers.sh; the guest suites under both
# run in Scripts/nightly.sh). Exits non-zero if any failed.
# DMAHOST_SKIP_VM=1 skips the guest suites (they are then reported as skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh

echo "== build (debug, with tests)"
swift build --build-tests

failed=()

echo "== dmactl stress on the host (CPU backend and vendor samples, 20 s)"
"$(swift build --show-bin-path)/dmactl" stress --seconds 20 || failed+=("dmactl stress (host)")

echo "== hardware suites in a qemu guest"
vm_suites=(Tests/VM/rdma-tests.sh Tests/VM/dmabuf-tests.sh Tests/VM/stress.sh)
for suite in "${vm_suites[@]}"; do
    if [ "${DMAHOST_SKIP_VM:-0}" = 1 ]; then
        echo "skipped: $suite (DMAHOST_SKIP_VM=1)"
    elif [ -f "$suite" ]; then
        bash "$suite" || failed+=("$suite")
    fi
done

echo "== UCX backend between two network namespaces (Tests/UCX/run.sh; skipped without UCX or ip netns)"
# The link cut (a server whose host vanishes) runs when the suite is run by hand.
bash Tests/UCX/run.sh --bin-path "$(swift build --show-bin-path)" --no-link-loss || failed+=("Tests/UCX/run.sh")

echo "== C ABI hot-path benchmark (callgrind instruction counts)"
if [ -f Benchmarks/CABI/run.sh ]; then
    bash Benchmarks/CABI/run.sh || failed+=("Benchmarks/CABI/run.sh")
fi

echo "== release build (the RDMA and UCX throughput gates and the install test use it)"
release_built=1
swift build -c release || { release_built=0; failed+=("swift build -c release"); }

echo "== RDMA throughput against perftest in the guest (4 KiB, medians of 3; gate: ratio >= 0.9)"
if [ "${DMAHOST_SKIP_VM:-0}" = 1 ]; then
    echo "skipped: Tests/VM/rdma-bench.sh (DMAHOST_SKIP_VM=1)"
elif ((release_built)); then
    bash Tests/VM/rdma-bench.sh --sizes 4096 --repeat 3 --min-ratio 0.9 || failed+=("Tests/VM/rdma-bench.sh")
else
    echo "skipped: Tests/VM/rdma-bench.sh (the release build failed)"
fi

echo "== UCX throughput against ucx_perftest between two network namespaces (64 KiB, medians of 3; gate: ratio >= 0.9)"
if ((release_built)); then
    bash Benchmarks/UCX/run.sh --sizes 65536 --ops "write read" --repeat 3 --min-ratio 0.9 --no-scaling \
        || failed+=("Benchmarks/UCX/run.sh")
else
    echo "skipped: Benchmarks/UCX/run.sh (the release build failed)"
fi

echo "== install into a temporary prefix and use it as a user would (Tests/Install/run.sh)"
if ((release_built)); then
    bash Tests/Install/run.sh --release || failed+=("Tests/Install/run.sh")
else
    echo "skipped: Tests/Install/run.sh (the release build failed)"
fi

echo "== fuzzing: every libFuzzer target for 20 s, two at a time (Fuzz/README.md)"
bash Scripts/fuzz.sh all 20 --jobs 2 || failed+=("Scripts/fuzz.sh")

echo "== host test suites"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
swift test --skip-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || failed+=("swift test")

echo "== host test suites and dmactl stress under ThreadSanitizer, then AddressSanitizer with LeakSanitizer"
for kind in thread address; do
    bash Scripts/sanitizers.sh "$kind" --stress-seconds 10 || failed+=("Scripts/sanitizers.sh $kind")
done

skipped=$(grep -cE 'Test .* skipped' "$log" || true)
echo "host tests skipped because their hardware is absent here (reasons above): $skipped"
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
# Repeat the test runner's closing line so that it is the last line of the output.
grep -E 'Test run with [0-9]+ tests' "$log" | tail -n 1
