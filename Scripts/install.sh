#!/usr/bin/env bash
# Builds DMAHost and installs it under a prefix, as INSTALL.md describes: the library, the
# public headers, the plugins, dmactl with its man page and shell completions, the pkg-config
# files, and (unless told otherwise) the Swift runtime libraries they need. Every installed
# program and library finds the others through $ORIGIN-relative RUNPATHs, so the tree can be
# moved as a whole.
#
# Usage: Scripts/install.sh --prefix DIR [--release|--debug] [--system-swift-runtime]
#   --prefix DIR             where to install (created when missing). With DESTDIR set, files go
#                            to $DESTDIR/DIR and the pkg-config files still name DIR (staging
#                            for a package).
#   --release                build and install the release configuration (default)
#   --debug                  the debug configuration
#   --system-swift-runtime   install no Swift runtime and set no RUNPATH to one: the runtime
#                            libraries must then be found by the dynamic linker (a
#                            distribution's Swift runtime package, ld.so.conf)
#
# Installed: bin/dmactl; include/spdk/dma.h and include/dmahost/*.h; lib/libDMAHost.so.1
# (SONAME libDMAHost.so.1) and the link lib/libDMAHost.so; the plugins in lib/dmahost/; the
# Swift runtime in lib/dmahost/swift/; lib/pkgconfig/dmahost.pc (applications) and
# dmahost-driver.pc (plugins: headers only); share/man/man1/dmactl.1; completions for bash,
# zsh and fish under share/. Exit status 0 when everything was installed, 1 otherwise, 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
fail() { echo "install: $*" >&2; exit 1; }

prefix="" configuration=release bundle_runtime=1
while (($#)); do
    case $1 in
        --prefix) (($# >= 2)) || usage; prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --release) configuration=release; shift ;;
        --debug) configuration=debug; shift ;;
        --system-swift-runtime) bundle_runtime=0; shift ;;
        -h|--help) usage ;;
        *) echo "install: unknown argument '$1'" >&2; usage ;;
    esac
done
[ -n "$prefix" ] || usage
[[ $prefix == /* ]] || prefix=$PWD/$prefix
prefix=${prefix%/}
destination=${DESTDIR:-}$prefix

bash Scripts/install-deps.sh

echo "== build ($configuration)"
swift build -c "$configuration"
bin=$(swift build -c "$configuration" --show-bin-path)
plugins=("$bin"/libdmahost-*.so)
[ -f "$bin/libDMAHost.so" ] && [ -x "$bin/dmactl" ] && [ -f "${plugins[0]}" ] \
    || fail "the build left no libDMAHost.so, dmactl or plugin in $bin"

echo "== install into $destination"
lib=$destination/lib
plugin_dir=$lib/dmahost
runtime_dir=$plugin_dir/swift
install -d "$destination/bin" "$destination/include" "$plugin_dir" "$lib/pkgconfig" "$destination/share/man/man1" \
    "$destination/share/bash-completion/completions" "$destination/share/zsh/site-functions" \
    "$destination/share/fish/vendor_completions.d"

# The library under its SONAME, and the link the linker's -lDMAHost finds.
install -m 0755 "$bin/libDMAHost.so" "$lib/libDMAHost.so.1"
patchelf --set-soname libDMAHost.so.1 "$lib/libDMAHost.so.1"
ln -sfn libDMAHost.so.1 "$lib/libDMAHost.so"
install -m 0755 "$bin/dmactl" "$destination/bin/dmactl"
for plugin in "${plugins[@]}"; do install -m 0755 "$plugin" "$plugin_dir/"; done
# The public headers (the .h files of the C ABI target).
(cd Sources/CDMAHostABI/include && find . -name '*.h' -print0) | while IFS= read -r -d '' header; do
    install -D -m 0644 "Sources/CDMAHostABI/include/$header" "$destination/include/${header#./}"
done

# The Swift runtime: every library the built images resolve into the toolchain's runtime
# directory (the one holding libswiftCore.so), copied with its own RUNPATH ($ORIGIN).
swift_runtime_directory() {
    ldd "$bin/libDMAHost.so" | sed -n 's/^[[:space:]]*libswiftCore\.so => \(.*\)\/libswiftCore\.so .*/\1/p' | head -n 1
}
toolchain_runtime=$(swift_runtime_directory)
[ -n "$toolchain_runtime" ] || fail "ldd does not resolve libswiftCore.so for $bin/libDMAHost.so"
rm -rf "$runtime_dir"
if ((bundle_runtime)); then
    install -d "$runtime_dir"
    ldd "$bin/libDMAHost.so" "$bin/dmactl" "${plugins[@]}" \
        | sed -n "s|^[[:space:]]*[^ ]* => \\($toolchain_runtime/[^ ]*\\) .*|\\1|p" | sort -u \
        | while read -r library; do install -m 0644 "$library" "$runtime_dir/"; done
    [ -f "$runtime_dir/libswiftCore.so" ] || fail "no Swift runtime library was copied from $toolchain_runtime"
    # The runtime's license (Apache 2.0 with the Runtime Library Exception) travels with it.
    license=$toolchain_runtime/../../../share/swift/LICENSE.txt
    if [ -f "$license" ]; then install -m 0644 "$license" "$runtime_dir/LICENSE.txt"; fi
fi

# RUNPATHs relative to each image: nothing names the build or the toolchain.
set_runpath() {
    local path=$1 runpath=$2
    if ((bundle_runtime)); then
        patchelf --set-rpath "$runpath" "$path"
    else
        patchelf --remove-rpath "$path"
    fi
}
set_runpath "$lib/libDMAHost.so.1" '$ORIGIN/dmahost/swift'
set_runpath "$destination/bin/dmactl" '$ORIGIN/../lib/dmahost/swift'
for plugin in "$plugin_dir"/libdmahost-*.so; do set_runpath "$plugin" '$ORIGIN/swift'; done

# The completions and the man page come from dmactl itself (the built one: with
# --system-swift-runtime the installed one may not run here). The installed one must run
# when it carries its runtime.
if ((bundle_runtime)); then
    env -u LD_LIBRARY_PATH "$destination/bin/dmactl" --help > /dev/null \
        || fail "the installed $destination/bin/dmactl does not run: a Swift runtime library is missing from $runtime_dir"
fi
for shell in bash zsh fish; do
    case $shell in
        bash) completion=$destination/share/bash-completion/completions/dmactl ;;
        zsh) completion=$destination/share/zsh/site-functions/_dmactl ;;
        fish) completion=$destination/share/fish/vendor_completions.d/dmactl.fish ;;
    esac
    "$bin/dmactl" --generate-completion-script "$shell" > "$completion"
    chmod 0644 "$completion"
done
# The argument parser's generate-manual plugin builds the package (nothing new) and writes
# the page of every command into its work directory.
echo "== man page (swift package generate-manual)"
manual=$root/.build/plugins/GenerateManual/outputs/dmactl/dmactl.1
rm -f "$manual"
swift package generate-manual --configuration "$configuration" > /dev/null
[ -f "$manual" ] || fail "swift package generate-manual left no $manual"
install -m 0644 "$manual" "$destination/share/man/man1/dmactl.1"

# pkg-config versions: dmahost.pc the library's (DMAHOST_VERSION_* of dmahost/host.h, whose major is
# the SONAME version), dmahost-driver.pc the plugin ABI's (DMAHOST_DRIVER_ABI_* of dmahost/driver.h).
define_value() { sed -n "s/^#define $1 \\([0-9]*\\).*/\\1/p" "Sources/CDMAHostABI/include/dmahost/$2"; }
version="$(define_value DMAHOST_VERSION_MAJOR host.h).$(define_value DMAHOST_VERSION_MINOR host.h).$(define_value DMAHOST_VERSION_PATCH host.h)"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "cannot read the library version from dmahost/host.h"
abi_version="$(define_value DMAHOST_DRIVER_ABI_MAJOR driver.h).$(define_value DMAHOST_DRIVER_ABI_MINOR driver.h)"
[[ $abi_version =~ ^[0-9]+\.[0-9]+$ ]] || fail "cannot read the ABI version from dmahost/driver.h"
pkgconfig_header() {
    printf 'prefix=%s\nlibdir=${prefix}/lib\nincludedir=${prefix}/include\nplugindir=${libdir}/dmahost\n\n' "$prefix"
}
{
    pkgconfig_header
    printf 'Name: DMAHost\nDescription: SPDK memory domains (spdk/dma.h) and the DMAHost driver host (dmahost/host.h)\n'
    printf 'Version: %s\nCflags: -I${includedir}\nLibs: -L${libdir} -lDMAHost\n' "$version"
} > "$lib/pkgconfig/dmahost.pc"
{
    pkgconfig_header
    printf 'Name: DMAHost driver ABI\nDescription: Headers for DMAHost backend plugins (dmahost/driver.h); a plugin links no DMAHost library\n'
    printf 'Version: %s\nCflags: -I${includedir}\n' "$abi_version"
} > "$lib/pkgconfig/dmahost-driver.pc"
chmod 0644 "$lib/pkgconfig"/*.pc

echo "install: installed DMAHost $version ($configuration) into $destination"
if ((bundle_runtime)); then
    echo "install: Swift runtime: $(find "$runtime_dir" -name '*.so' | wc -l) libraries in $runtime_dir"
else
    echo "install: no Swift runtime installed: the dynamic linker must find libswiftCore.so and the rest"
fi
