#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of Fuzz/ (what each checks: Fuzz/README.md).
#
#   Scripts/fuzz.sh --list                 the targets
#   Scripts/fuzz.sh TARGET SECONDS         build TARGET and fuzz it for SECONDS
#   Scripts/fuzz.sh all SECONDS            every target, SECONDS each
# Options (after the arguments above):
#   --jobs N    run up to N targets at once (all only; default 1)
#   --merge     afterwards, merge the inputs that add coverage into Fuzz/Corpus/TARGET
#
# Each target is compiled with swiftc -sanitize=fuzzer,address from its harness
# (Fuzz/Targets/TARGET.swift), Fuzz/Support/FuzzInput.swift and the product files it tests,
# listed below; the modules those files import are compiled once into .build-fuzz/. Nothing
# is rebuilt whose inputs (sources, flags, compiler) did not change. libFuzzer runs on a
# scratch copy of Fuzz/Corpus/TARGET in .build-fuzz/run/TARGET: the committed corpus is only
# written with --merge. One summary line per target; exit status 1 when any target crashed,
# leaked, timed out or did not build, with the reproducer's path in the output.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/.build-fuzz

# MARK: - What each target compiles

# Modules a target imports, in build order (transitively: a module's own imports come first).
declare -A target_modules=(
    [iovec_contract]="CDMAHostABI DMADriverKit"
    [cpu_scatter_gather]="CDMAHostABI DMADriverKit CDMASync DMASync CCPUEngineSupport"
    [rdma_work_planner]=""
    [dmabuf_segments]="CDMAHostABI DMADriverKit"
    [byte_size]=""
    [sweep_list]=""
    [device_selector]="CDMAHostABI DMADriverKit DMAHost"
    [driver_table]="CDMAHostABI DMADriverKit DMAHost"
    [device_info]="CDMAHostABI DMADriverKit DMAHost"
    [elf_check]="CDriverHostSupport SystemPackage"
)
# Product files compiled into the target's own module (globs are expanded).
declare -A target_files=(
    [iovec_contract]=""
    [cpu_scatter_gather]="Plugins/CPUAccel/CPUCopyEngine/*.swift"
    [rdma_work_planner]="Plugins/RDMAVerbs/RDMAVerbsKit/Engine/WorkPlanner.swift"
    [dmabuf_segments]="Plugins/DMAEngine/DMAEngineKit/DataPath/Segments.swift"
    [byte_size]="Sources/DMABench/ByteSize.swift"
    [sweep_list]="Sources/DMABench/SweepList.swift Sources/DMABench/ByteSize.swift"
    [device_selector]="Sources/DriverHost/DeviceSelector.swift Sources/DriverHost/EditDistance.swift"
    [driver_table]="Fuzz/Support/Plugins/*.swift Sources/DriverHost/DriverTable.swift Sources/DriverHost/ConfigVariableReader.swift Sources/DriverHost/DeviceInfoReader.swift Sources/DriverHost/PluginStrings.swift Sources/DriverHost/DomainIDPolicy.swift Sources/DriverHost/PluginCandidate.swift"
    [device_info]="Fuzz/Support/Plugins/*.swift Sources/DriverHost/DriverTable.swift Sources/DriverHost/ConfigVariableReader.swift Sources/DriverHost/DeviceInfoReader.swift Sources/DriverHost/PluginStrings.swift Sources/DriverHost/DomainIDPolicy.swift Sources/DriverHost/PluginCandidate.swift"
    [elf_check]="Sources/DriverHost/ELFCheck.swift Sources/DriverHost/PluginFile.swift Sources/DriverHost/PluginTrust.swift Sources/DriverHost/FileIdentity.swift Sources/DriverHost/ExecutionContext.swift"
)
targets=(iovec_contract cpu_scatter_gather rdma_work_planner dmabuf_segments byte_size sweep_list device_selector driver_table device_info elf_check)

# Swift modules built from sources, and C modules (headers, and the C files compiled with them).
declare -A swift_module_sources=(
    [DMADriverKit]="Sources/DMADriverKit/*.swift"
    [DMASync]="Sources/DMASync/*.swift"
    [DMAHost]="Fuzz/Support/DMAHost/DMAHostExports.swift"
)
# Swift modules a Swift module imports (C modules' headers are always part of the fingerprint).
declare -A swift_module_deps=(
    [DMAHost]="DMADriverKit"
)
declare -A c_module_headers=(
    [CDMAHostABI]="Sources/CDMAHostABI/include"
    [CDMASync]="Sources/CDMASync/include"
    [CDriverHostSupport]="Sources/CDriverHostSupport/include"
    [CCPUEngineSupport]="Plugins/CPUAccel/CCPUEngineSupport/include"
)
declare -A c_module_sources=(
    [CDMAHostABI]=""
    [CDMASync]="Sources/CDMASync/*.c"
    [CDriverHostSupport]="Sources/CDriverHostSupport/*.c"
    [CCPUEngineSupport]="Plugins/CPUAccel/CCPUEngineSupport/*.c"
)

swift_flags=(-swift-version 6 -parse-as-library -Onone -g -sanitize=fuzzer,address -use-ld=lld)
c_flags=(-O1 -g -fsanitize=fuzzer-no-link,address -fPIC)

# MARK: - Arguments

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0" >&2; exit 2; }
merge=0
jobs=1
positional=()
while (($#)); do
    case $1 in
        --list) printf '%s\n' "${targets[@]}"; exit 0 ;;
        --merge) merge=1 ;;
        --jobs) shift; jobs=${1:-}; [[ $jobs =~ ^[1-9][0-9]*$ ]] || usage ;;
        -h|--help) usage ;;
        *) positional+=("$1") ;;
    esac
    shift
done
((${#positional[@]} == 2)) || usage
selected=${positional[0]}
seconds=${positional[1]}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: SECONDS must be a positive whole number, got '$seconds'" >&2; exit 2; }
if [ "$selected" = all ]; then
    chosen=("${targets[@]}")
elif [ -n "${target_modules[$selected]+set}" ]; then
    chosen=("$selected")
else
    echo "fuzz: unknown target '$selected'; targets: ${targets[*]}" >&2
    exit 2
fi

# MARK: - Building, with a stamp per output

mkdir -p "$out/modules" "$out/objects" "$out/include" "$out/bin" "$out/stamps" "$out/logs"
compiler_version=$(swiftc --version 2>&1)

# Prints a hash of the given text and of the contents of the given files.
fingerprint() {
    local text=$1; shift
    { printf '%s\n%s\n' "$compiler_version" "$text"; for file in "$@"; do printf '%s\n' "$file"; cat "$file"; done; } | sha256sum | cut -d' ' -f1
}

# True when the stamp NAME holds HASH (the output it stands for was built from these inputs).
is_current() { [ -f "$out/stamps/$1" ] && [ "$(cat "$out/stamps/$1")" = "$2" ]; }

# The stamps of the given modules (what a module or target built from them depends on).
dependency_stamps() {
    local module
    for module in "$@"; do
        printf '%s ' "$module"
        cat "$out/stamps/$module".* "$out/stamps/$module"-*.o 2>/dev/null || true
    done
}

# Every header of the C modules.
all_headers() { local module; for module in "${!c_module_headers[@]}"; do find "$root/${c_module_headers[$module]}" -type f | sort; done; }

# Expands a list of globs relative to the repository.
expand() { local pattern; for pattern in $1; do compgen -G "$pattern" || { echo "fuzz: no file matches $pattern" >&2; return 1; }; done; }

# The swiftc arguments that make every C module and the built Swift modules importable.
import_flags() {
    local module
    printf '%s\n' -I "$out/modules"
    for module in "${!c_module_headers[@]}"; do
        printf '%s\n' -Xcc "-fmodule-map-file=$out/include/$module/module.modulemap" -Xcc "-I$root/${c_module_headers[$module]}"
    done
    [ -f "$out/include/CSystem/module.modulemap" ] && printf '%s\n' -Xcc "-fmodule-map-file=$out/include/CSystem/module.modulemap"
    return 0
}

# Writes the module map of every C module (cheap; whether or not a target imports it).
write_module_maps() {
    local module
    for module in "${!c_module_headers[@]}"; do
        mkdir -p "$out/include/$module"
        printf 'module %s {\n    umbrella "%s"\n    export *\n}\n' "$module" "$root/${c_module_headers[$module]}" \
            > "$out/include/$module/module.modulemap"
    done
}

build_c_module() {
    local module=$1 headers=$root/${c_module_headers[$1]} source object
    for source in $(expand "${c_module_sources[$module]}"); do
        object=$out/objects/$module-$(basename "$source" .c).o
        local hash; hash=$(fingerprint "${c_flags[*]}" "$source" "$headers"/*)
        is_current "$(basename "$object")" "$hash" && [ -f "$object" ] && continue
        echo "fuzz: compiling $source" >&2
        clang "${c_flags[@]}" -I "$headers" -c "$source" -o "$object" || return 1
        echo "$hash" > "$out/stamps/$(basename "$object")"
    done
}

build_swift_module() {
    local module=$1 sources hash
    mapfile -t sources < <(expand "${swift_module_sources[$module]}")
    hash=$(fingerprint "${swift_flags[*]} $(dependency_stamps ${swift_module_deps[$module]:-})" "${sources[@]}" $(all_headers))
    is_current "$module.swiftmodule" "$hash" && [ -f "$out/objects/$module.o" ] && return 0
    echo "fuzz: compiling module $module" >&2
    mapfile -t imports < <(import_flags)
    swiftc "${swift_flags[@]}" "${imports[@]}" -module-name "$module" -wmo -emit-module \
        -emit-module-path "$out/modules/$module.swiftmodule" -c "${sources[@]}" -o "$out/objects/$module.o" || return 1
    echo "$hash" > "$out/stamps/$module.swiftmodule"
}

# swift-system (SystemPackage) as the package's normal build compiles it: its sources need
# the package's own build settings, so SwiftPM builds it (nothing else) in .build, and its
# objects are linked uninstrumented (the harness does not fuzz it).
build_system_package() {
    local bin object hash
    swift build --target SystemPackage >&2 || return 1
    bin=$(swift build --show-bin-path) || return 1
    hash=$(cat "$bin/Modules/SystemPackage.swiftmodule" "$bin"/SystemPackage.build/*.o "$bin"/CSystem.build/*.o | sha256sum | cut -d' ' -f1)
    is_current SystemPackage.swiftmodule "$hash" && return 0
    cp "$bin/Modules/SystemPackage.swiftmodule" "$out/modules/" || return 1
    rm -f "$out/objects"/SystemPackage-*.o
    for object in "$bin"/SystemPackage.build/*.o "$bin"/CSystem.build/*.o; do
        cp "$object" "$out/objects/SystemPackage-$(basename "$(dirname "$object")" .build)-$(basename "$object")" || return 1
    done
    # Its module imports the C module CSystem: a copy of its headers and module map.
    rm -rf "$out/include/CSystem"
    cp -r "$root/.build/checkouts/swift-system/Sources/CSystem/include" "$out/include/CSystem" || return 1
    echo "$hash" > "$out/stamps/SystemPackage.swiftmodule"
}

build_module() {
    if [ -n "${c_module_headers[$1]+set}" ]; then build_c_module "$1"
    elif [ "$1" = SystemPackage ]; then build_system_package
    else build_swift_module "$1"
    fi
}

# Builds .build-fuzz/bin/TARGET when any of its inputs changed.
build_target() {
    local target=$1 module files objects=() hash
    for module in ${target_modules[$target]}; do build_module "$module" || return 1; done
    mapfile -t files < <(expand "${target_files[$target]}") || return 1
    files+=(Fuzz/Support/*.swift "Fuzz/Targets/$target.swift")
    for module in ${target_modules[$target]}; do
        [ -n "${c_module_headers[$module]+set}" ] && { compgen -G "$out/objects/$module-*.o" > /dev/null || continue; }
        mapfile -t -O "${#objects[@]}" objects < <(compgen -G "$out/objects/$module.o" || compgen -G "$out/objects/$module-*.o")
    done
    hash=$(fingerprint "${swift_flags[*]} $(dependency_stamps ${target_modules[$target]})" "${files[@]}" $(all_headers))
    is_current "bin-$target" "$hash" && [ -x "$out/bin/$target" ] && return 0
    echo "fuzz: building $target" >&2
    mapfile -t imports < <(import_flags)
    swiftc "${swift_flags[@]}" "${imports[@]}" -module-name "Fuzz_$target" "${files[@]}" "${objects[@]}" \
        -o "$out/bin/$target" 2> "$out/logs/$target-build.log" || { cat "$out/logs/$target-build.log" >&2; return 1; }
    echo "$hash" > "$out/stamps/bin-$target"
}

# MARK: - Running

# Fuzzes TARGET for SECONDS on a scratch copy of its corpus; prints one summary line.
run_target() {
    local target=$1 work=$out/run/$1 log status
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    [ -d "Fuzz/Corpus/$target" ] && cp "Fuzz/Corpus/$target"/* "$work/corpus/" 2>/dev/null || true
    log=$work/fuzz.log
    local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                   -artifact_prefix="$work/artifacts/")
    [ -f "Fuzz/Dictionaries/$target.dict" ] && options+=(-dict="Fuzz/Dictionaries/$target.dict")
    set +e
    # The Swift runtime's backtracer would inspect the crashed process under AddressSanitizer,
    # which reports its reads as a second error: libFuzzer prints the stack instead.
    SWIFT_BACKTRACE=enable=no "$out/bin/$target" "${options[@]}" "$work/corpus" > "$log" 2>&1
    status=$?
    set -e
    local stats execs rate cov ft files result
    stats=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$stats")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$stats")
    files=$(find "$work/corpus" -type f | wc -l)
    if ((status == 0)); then
        result=ok
    else
        local kind reproducer
        kind=$(grep -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-zA-Z -]+|Fatal error: .*|Swift runtime failure: [a-z ]+' "$log" | head -n 1)
        reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        result="FAILED (exit $status: ${kind:-see log}); reproducer: ${reproducer:-none}; log: $log"
    fi
    echo "fuzz: $target: ${seconds}s execs=${execs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} corpus=$files $result"
    if ((merge)) && ((status == 0)); then
        mkdir -p "Fuzz/Corpus/$target"
        "$out/bin/$target" -merge=1 "Fuzz/Corpus/$target" "$work/corpus" > "$work/merge.log" 2>&1 \
            && echo "fuzz: $target: merged into Fuzz/Corpus/$target ($(find "Fuzz/Corpus/$target" -type f | wc -l) files)"
    fi
    return "$status"
}

failed=()
write_module_maps
for target in "${chosen[@]}"; do
    build_target "$target" || failed+=("$target (build)")
done
if ((${#failed[@]})); then
    echo "fuzz: FAILED to build: ${failed[*]}"
    exit 1
fi

# Each invocation has its own results directory (two may run at once on different targets).
mkdir -p "$out/run"
results=$(mktemp -d "$out/run/results.XXXXXX")
trap 'rm -rf "$results"' EXIT
for target in "${chosen[@]}"; do
    while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
    (
        status=0
        run_target "$target" > "$results/$target" 2>&1 || status=$?
        echo "$status" > "$results/$target.status"
    ) &
done
wait
for target in "${chosen[@]}"; do
    cat "$results/$target"
    [ "$(cat "$results/$target.status")" = 0 ] || failed+=("$target")
done
if ((${#failed[@]})); then
    echo "fuzz: FAILED: ${failed[*]}"
    exit 1
fi
