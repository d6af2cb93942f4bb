#!/usr/bin/env bash
# rdma-tests.sh — runs the RDMA hardware suites (RDMAHardware…: soft-RoCE rxe0, READ/WRITE,
# translation, errors and recovery, 10,000-operation stress, dma-buf registration; and the
# plugin through the driver host) in the qemu guest. Options and exit status: see run-suites.sh.
# Usage: Tests/VM/rdma-tests.sh [--timeout SECONDS] [--bin-path DIR] [extra test-binary arguments...]
set -euo pipefail
exec bash "$(dirname "$0")/run-suites.sh" rdma-tests 'RDMAHardware|RDMAPluginLoad' 1200 libdmahost-rdma.so "$@"
