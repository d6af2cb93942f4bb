#!/usr/bin/env bash
# dmabuf-tests.sh — runs the dma-buf hardware suites (DMABufHardware…: udmabuf, dma-buf heaps,
# vgem PRIME) in the qemu guest. Options and exit status: see run-suites.sh.
# Usage: Tests/VM/dmabuf-tests.sh [--timeout SECONDS] [--bin-path DIR] [extra test-binary arguments...]
set -euo pipefail
exec bash "$(dirname "$0")/run-suites.sh" dmabuf-tests DMABufHardware 900 - "$@"
