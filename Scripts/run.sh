#!/usr/bin/env bash
# The main job for a newcomer: install what is missing, build everything (core library,
# dmactl, every backend plugin) and list drivers, devices and memory domains.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift build
"$(swift build --show-bin-path)/dmactl" list "$@"
