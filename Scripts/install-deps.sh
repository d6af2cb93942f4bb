#!/usr/bin/env bash
# Installs the Debian packages DMAHost needs to build and test, only those missing.
# Build: pkg-config and the -dev packages of the system libraries the backends link
# (libibverbs, libdrm, libpci) and the kernel uapi headers. Tests: binutils (nm), gcc (the C
# conformance programs), valgrind (the C ABI instruction-count benchmark). Install
# (Scripts/install.sh and its test): patchelf (SONAME and RUNPATHs of the installed files) and
# make (the C plugin template).
# The qemu guest's own packages are installed by Tests/VM/run-in-vm.sh when it runs.
set -euo pipefail

packages=(pkg-config gcc libc6-dev binutils linux-libc-dev libibverbs-dev libdrm-dev libpci-dev valgrind patchelf make)
# UCX backend: the UCP headers and libucp (libucx-dev), ucx_info and ucx_perftest (ucx-utils).
packages+=(libucx-dev ucx-utils)
# The UCX suite and benchmark between two network namespaces (Tests/UCX, Benchmarks/UCX): `ip netns`.
packages+=(iproute2)

missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
