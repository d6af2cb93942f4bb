#!/usr/bin/env bash
# Installs DMAHost into a temporary prefix and uses it as a user would, with no path into the
# source tree except the Swift packages' dependency on this checkout:
#   1. Scripts/install.sh --prefix TMP/prefix (the configuration given here, default release);
#   2. the installed tree: the SONAME and its link, $ORIGIN-relative RUNPATHs only, every
#      library resolved inside the prefix or the system, pkg-config files, man page, completions;
#   3. a C application (Tests/Install/app.c, copied out) built with
#      `pkg-config --cflags --libs dmahost` alone: it opens cpu:0 through the host API and
#      copies through it, verifying every byte;
#   4. the installed dmactl finds the installed plugins (cpu:0) and copies through them;
#   5. Templates/CPlugin and Templates/SwiftPlugin copied to TMP, outside the repository: the C
#      plugin built with its Makefile (pkg-config dmahost-driver only), the Swift plugin package
#      built against this checkout (DMAHOST_PACKAGE_PATH);
#   6. the installed dmactl loads both (`list`: their device ids) and copies through them
#      (system → each, and one into the other), verified;
#   7. `make install` of the C template puts it into the installed plugins directory, where the
#      installed dmactl finds it with no option;
#   8. a Swift program in a package of its own (Tests/Install/SwiftApp), depending on this
#      checkout, builds a plugin product of the dependency and loads it with loadDefault();
#   9. a second install with --system-swift-runtime: no runtime, no RUNPATH; dmactl runs when
#      the dynamic linker is given the toolchain's runtime.
#
# Usage: Tests/Install/run.sh [--release|--debug] [--keep]
#   --keep   leave TMP (printed) for inspection
# Exit status: 0 when every step passed; 1 at the first failed step, naming it; 2 usage.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

configuration=release keep=0
for argument in "$@"; do
    case $argument in
        --release) configuration=release ;;
        --debug) configuration=debug ;;
        --keep) keep=1 ;;
        *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/dmahost-install-test.XXXXXX")
if ((keep)); then echo "install test: working directory $work"; else trap 'rm -rf "$work"' EXIT; fi
prefix=$work/prefix
# What a user's shell would have: no plugin path of ours, no library path into the build.
unset DMAHOST_DRIVER_PATH DMAHOST_ALLOW_INSECURE_PLUGINS LD_LIBRARY_PATH
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig

step=""
begin() { step=$1; echo "== install test: $step"; }
fail() { echo "install test: FAILED at \"$step\": $*" >&2; exit 1; }
# Runs a command; on failure prints its output and fails the step.
run() {
    local output
    if ! output=$("$@" 2>&1); then
        printf '%s\n' "$output" >&2
        fail "$(printf '%q ' "$@")exited non-zero"
    fi
    if [ -n "$output" ]; then printf '%s\n' "$output"; fi
}
expect_contains() { grep -qF -- "$2" <<< "$1" || fail "expected '$2' in: $1"; }
# A copy document that says its data were verified (JSON, however the encoder spaces its members).
expect_verified() { grep -qE -- '"verified" *: *true' <<< "$1" || fail "expected \"verified\": true in: $1"; }

begin "install (Scripts/install.sh --prefix $prefix --$configuration)"
run bash Scripts/install.sh --prefix "$prefix" "--$configuration" > "$work/install.log" || fail "see above"

begin "the installed tree"
for path in bin/dmactl lib/libDMAHost.so.1 lib/libDMAHost.so include/spdk/dma.h include/dmahost/driver.h include/dmahost/host.h \
            lib/dmahost/libdmahost-cpu.so lib/dmahost/swift/libswiftCore.so lib/pkgconfig/dmahost.pc lib/pkgconfig/dmahost-driver.pc \
            share/man/man1/dmactl.1 share/bash-completion/completions/dmactl share/zsh/site-functions/_dmactl \
            share/fish/vendor_completions.d/dmactl.fish; do
    [ -s "$prefix/$path" ] || fail "$path is missing or empty"
done
[ "$(readlink "$prefix/lib/libDMAHost.so")" = libDMAHost.so.1 ] || fail "lib/libDMAHost.so does not link to libDMAHost.so.1"
soname=$(readelf -d "$prefix/lib/libDMAHost.so.1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libDMAHost.so.1 ] || fail "SONAME of libDMAHost.so.1 is '$soname'"
grep -qE '^\.(TH|Dt) ' "$prefix/share/man/man1/dmactl.1" || fail "share/man/man1/dmactl.1 is no man page"
grep -q dmactl "$prefix/share/bash-completion/completions/dmactl" || fail "the bash completion does not name dmactl"
mapfile -t images < <(find "$prefix/bin" "$prefix/lib" -type f \( -name dmactl -o -name '*.so' -o -name '*.so.1' \))
for image in "${images[@]}"; do
    runpath=$(readelf -d "$image" | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p')
    for entry in ${runpath//:/ }; do
        [[ $entry == '$ORIGIN'* ]] || fail "${image#"$prefix"/} has RUNPATH entry '$entry' (not relative to \$ORIGIN)"
    done
    resolved=$(ldd "$image" 2>&1) || fail "ldd ${image#"$prefix"/}: $resolved"
    ! grep -q 'not found' <<< "$resolved" || fail "${image#"$prefix"/} has unresolved libraries: $resolved"
    outside=$(sed -n 's/.* => \(\/[^ ]*\) .*/\1/p' <<< "$resolved" | grep -v -E "^($prefix/|/lib/|/lib64/|/usr/lib/|/usr/lib64/)" || true)
    [ -z "$outside" ] || fail "${image#"$prefix"/} resolves libraries outside the prefix and the system: $outside"
done
echo "${#images[@]} images: SONAME, RUNPATHs and library resolution as installed"

begin "pkg-config"
# The flags as words (pkg-config ends its output with a space).
flags() { local words; words=$(pkg-config "$@") || fail "pkg-config $* failed"; echo $words; }
[ "$(flags --cflags dmahost)" = "-I$prefix/include" ] || fail "pkg-config --cflags dmahost: $(flags --cflags dmahost)"
[ "$(flags --libs dmahost)" = "-L$prefix/lib -lDMAHost" ] || fail "pkg-config --libs dmahost: $(flags --libs dmahost)"
[ "$(flags --cflags dmahost-driver)" = "-I$prefix/include" ] || fail "pkg-config --cflags dmahost-driver"
header_value() { sed -n "s/^#define $1 \\([0-9]*\\).*/\\1/p" "Sources/CDMAHostABI/include/dmahost/$2"; }
library_version="$(header_value DMAHOST_VERSION_MAJOR host.h).$(header_value DMAHOST_VERSION_MINOR host.h).$(header_value DMAHOST_VERSION_PATCH host.h)"
abi_version="$(header_value DMAHOST_DRIVER_ABI_MAJOR driver.h).$(header_value DMAHOST_DRIVER_ABI_MINOR driver.h)"
[ "$(pkg-config --modversion dmahost)" = "$library_version" ] || fail "pkg-config --modversion dmahost: $(pkg-config --modversion dmahost), the library is $library_version"
[ "$(pkg-config --modversion dmahost-driver)" = "$abi_version" ] || fail "pkg-config --modversion dmahost-driver: $(pkg-config --modversion dmahost-driver), the plugin ABI is $abi_version"
[ -z "$(flags --libs dmahost-driver)" ] || fail "dmahost-driver.pc names a library: $(flags --libs dmahost-driver)"
[ "$(flags --variable=plugindir dmahost-driver)" = "$prefix/lib/dmahost" ] || fail "plugindir of dmahost-driver.pc"

begin "a C application built with pkg-config dmahost only"
mkdir "$work/app"
cp Tests/Install/app.c "$work/app/"
(
    cd "$work/app"
    # shellcheck disable=SC2046 # the flags are words
    run cc -std=c11 -Wall -Wextra -Werror app.c -o app $(pkg-config --cflags --libs dmahost) \
        -Wl,-rpath,"$(pkg-config --variable=libdir dmahost)"
    run ./app
) || fail "see above"

dmactl=$prefix/bin/dmactl

begin "the installed dmactl with the installed plugins"
list=$(run "$dmactl" list --format json) || fail "see above"
expect_contains "$list" "\"cpu:0\""
expect_contains "$list" "$prefix/lib/dmahost/libdmahost-cpu.so"
copy=$(run "$dmactl" copy --from system --to cpu:0 --size 1M --format json) || fail "see above"
expect_verified "$copy"

begin "the C plugin template, built outside the repository with pkg-config dmahost-driver"
cp -r Templates/CPlugin "$work/c-plugin"
run make -C "$work/c-plugin" > /dev/null || fail "see above"
begin "the Swift plugin template, a package of its own depending on this checkout"
cp -r Templates/SwiftPlugin "$work/swift-plugin"
(
    cd "$work/swift-plugin"
    export DMAHOST_PACKAGE_PATH=$root
    run swift build -c "$configuration" > /dev/null
    cp "$(swift build -c "$configuration" --show-bin-path)/libdmahost-example-swift.so" "$work/"
) || fail "see above"
mkdir "$work/plugins"
install -m 0755 "$work/c-plugin/libdmahost-example-c.so" "$work/libdmahost-example-swift.so" "$work/plugins/"

begin "the installed dmactl loads both templates and copies through them"
list=$(run "$dmactl" list --driver-dir "$work/plugins" --format json) || fail "see above"
expect_contains "$list" '"example-c:0"'
expect_contains "$list" '"example-swift:0"'
for route in "system example-c:0" "system example-swift:0" "example-c:0 example-swift:0" "example-swift:0 example-c:0"; do
    read -r from to <<< "$route"
    copy=$(run "$dmactl" copy --driver-dir "$work/plugins" --from "$from" --to "$to" --size 1M --segments 8 --format json) \
        || fail "see above"
    expect_verified "$copy"
    echo "copy $from -> $to: verified"
done

begin "make install of the C plugin template puts it where the installed dmactl looks"
run make -C "$work/c-plugin" install > /dev/null || fail "see above"
[ -f "$prefix/lib/dmahost/libdmahost-example-c.so" ] || fail "make install did not write $prefix/lib/dmahost/libdmahost-example-c.so"
list=$(run "$dmactl" list --format json) || fail "see above"
expect_contains "$list" "$prefix/lib/dmahost/libdmahost-example-c.so"
expect_contains "$list" '"example-c:0"'

begin "a Swift program depending on DMAHost finds the plugin products it built (README, Using DMAHost from Swift)"
mkdir "$work/swift-app"
ln -s "$root" "$work/swift-app/DMAHost"
cp -r Tests/Install/SwiftApp "$work/swift-app/app"
(
    cd "$work/swift-app/app"
    run swift build --product dmahost-vendor-c > /dev/null
    run swift build > /dev/null
    run "$(swift build --show-bin-path)/ListDevices" vendor-c:0
) || fail "see above"

begin "an install without the Swift runtime (--system-swift-runtime)"
bare=$work/bare
run bash Scripts/install.sh --prefix "$bare" "--$configuration" --system-swift-runtime > /dev/null || fail "see above"
[ ! -e "$bare/lib/dmahost/swift" ] || fail "lib/dmahost/swift was installed"
readelf -d "$bare/bin/dmactl" "$bare/lib/libDMAHost.so.1" | grep -q -E '\((RUNPATH|RPATH)\)' && fail "a RUNPATH was left"
runtime=$(cd "$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/linux" && pwd) \
    || fail "no Swift runtime directory beside $(command -v swift)"
list=$(LD_LIBRARY_PATH=$runtime run "$bare/bin/dmactl" list --format json) || fail "see above"
expect_contains "$list" "$bare/lib/dmahost/libdmahost-cpu.so"

echo "install test: all steps passed"
