#!/usr/bin/env bash
# run-in-vm.sh — run one command inside a throwaway qemu guest that boots
# Debian's 6.12 kernel, which has what the build/CI host kernel lacks:
# soft-RoCE (rdma_rxe), /dev/udmabuf, dma-buf heaps and vgem (/dev/dri).
#
# Usage:
#   Tests/VM/run-in-vm.sh [--timeout SECONDS] [--no-setup] [--verbose] -- COMMAND [ARGS...]
#
#   The guest sees the host's / read-only (with a tmpfs overlay, so writes
#   succeed but vanish) and the current working directory read-write at the
#   same path; COMMAND runs there, as root, chrooted into that view, with the
#   caller's exported environment plus DMAHOST_IN_VM=1 and
#   DMAHOST_VM_KVER=<guest kernel release>. Stdin is /dev/null.
#   COMMAND's stdout+stderr (merged, CRs stripped) is printed on stdout, and
#   the script exits with COMMAND's exit status. Files written under the
#   working directory appear on the host. Network: loopback only.
#
#   Unless --no-setup, before COMMAND the guest links /lib/modules/<kver>,
#   points /proc/sys/kernel/modprobe at the real modprobe, brings lo up, loads
#   rdma_rxe and vgem and runs `rdma link add rxe0 type rxe netdev lo`
#   (GID index 1 is then ::ffff:127.0.0.1, RoCE v2).
#
#   --timeout SECONDS  bound on the whole guest run, boot included (default 900)
#   --no-setup         skip the guest setup above
#   --verbose          progress and timings on stderr
#
# Exit status: COMMAND's own, or for infrastructure failures (message on stderr):
#   2    usage error
#   122  host preparation failed (apt packages, kernel download, initramfs)
#   123  guest setup failed (module load / rxe link); COMMAND did not run
#   124  timed out (COMMAND or boot exceeded --timeout)
#   125  guest did not boot after 3 tries, or died without returning a status
#
# Host side: installs missing apt packages (Debian), downloads the kernel
# package that linux-image-6.12-amd64 depends on and unpacks it (no /boot
# changes) into /var/cache/dmahost-vm/<kver>, and builds a busybox initramfs
# there (keyed on a hash of its contents). Later runs reuse the cache.
# Environment overrides: DMAHOST_VM_CACHE (cache dir), DMAHOST_VM_SMP (2),
# DMAHOST_VM_MEM (2G), DMAHOST_VM_BOOT_TIMEOUT (180 s until COMMAND must have
# started before the boot is counted as failed), DMAHOST_VM_VERBOSE=1.
# See Tests/VM/README.md.

set -euo pipefail

readonly EXIT_USAGE=2 EXIT_HOST=122 EXIT_SETUP=123 EXIT_TIMEOUT=124 EXIT_BOOT=125
readonly KERNEL_META=linux-image-6.12-amd64
readonly PACKAGES=(qemu-system-x86 busybox-static kmod cpio xz-utils iproute2
  rdma-core ibverbs-utils ibverbs-providers libibverbs-dev perftest)
readonly INITRD_MODULES=(9p 9pnet_virtio overlay)
readonly MAX_TRIES=3 # one boot plus at most two retries of a boot that died early

CACHE=${DMAHOST_VM_CACHE:-/var/cache/dmahost-vm}
SMP=${DMAHOST_VM_SMP:-2}
MEM=${DMAHOST_VM_MEM:-2G}
BOOT_TIMEOUT=${DMAHOST_VM_BOOT_TIMEOUT:-180}
VERBOSE=${DMAHOST_VM_VERBOSE:-0}
TIMEOUT=900
SETUP=1

prog=${0##*/}
usage() {
  echo "usage: $prog [--timeout SECONDS] [--no-setup] [--verbose] -- COMMAND [ARGS...]" >&2
  exit "$EXIT_USAGE"
}
say() { echo "$prog: $*" >&2; }
info() { if [[ $VERBOSE == 1 ]]; then say "$@"; fi; }
die() {
  local code=$1
  shift
  say "error: $*"
  exit "$code"
}
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }
secs_since() { # START_MS -> "12.3"
  local d=$(($(now_ms) - $1))
  printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

# ---------------------------------------------------------------- arguments
while (($#)); do
  case $1 in
    --timeout)
      (($# >= 2)) || usage
      TIMEOUT=$2
      shift 2
      ;;
    --timeout=*)
      TIMEOUT=${1#--timeout=}
      shift
      ;;
    --no-setup)
      SETUP=0
      shift
      ;;
    -v | --verbose)
      VERBOSE=1
      shift
      ;;
    -h | --help) usage ;;
    --)
      shift
      break
      ;;
    *) usage ;;
  esac
done
(($# >= 1)) || usage
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "$EXIT_USAGE" "--timeout needs a positive number of seconds, got '$TIMEOUT'"
[[ $BOOT_TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "$EXIT_USAGE" "DMAHOST_VM_BOOT_TIMEOUT must be a positive number"
((EUID == 0)) || die "$EXIT_USAGE" "must run as root (installs packages, writes $CACHE)"
WORKDIR=$(pwd -P)
[[ $WORKDIR != / ]] || die "$EXIT_USAGE" "refusing to share / read-write; run from a project directory"
[[ $WORKDIR != *$'\n'* ]] || die "$EXIT_USAGE" "working directory path contains a newline"

t_start=$(now_ms)

# ---------------------------------------------------------------- host preparation
mkdir -p "$CACHE" || die "$EXIT_HOST" "cannot create $CACHE"
# Serialise preparation between concurrent runs (released before booting).
exec {lock_fd}>"$CACHE/.lock"
flock "$lock_fd"

apt_updated=0
apt_update() {
  if ((apt_updated == 0)); then
    info "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >"$CACHE/apt.log" 2>&1 ||
      { tail -n 20 "$CACHE/apt.log" >&2; die "$EXIT_HOST" "apt-get update failed"; }
    apt_updated=1
  fi
}

ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  say "installing missing packages: ${missing[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "${missing[@]}" >"$CACHE/apt.log" 2>&1 ||
    { tail -n 20 "$CACHE/apt.log" >&2; die "$EXIT_HOST" "apt-get install failed (log: $CACHE/apt.log)"; }
}

resolve_kernel_pkg() {
  apt-cache depends "$KERNEL_META" 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-6\.12/ { print $2; exit }'
}

# Sets KVER and KDIR (the unpacked package: boot/, lib/modules/...).
ensure_kernel() {
  local pkg dl deb
  pkg=$(resolve_kernel_pkg)
  if [[ -z $pkg ]]; then
    apt_update
    pkg=$(resolve_kernel_pkg)
  fi
  if [[ -z $pkg ]]; then
    # No package information at all: fall back to a kernel unpacked earlier.
    KDIR=$(find "$CACHE" -mindepth 2 -maxdepth 2 -name .complete -printf '%h\n' 2>/dev/null | sort -V | tail -n 1)
    [[ -n $KDIR ]] || die "$EXIT_HOST" "cannot resolve the package behind $KERNEL_META and no kernel is cached"
    KVER=${KDIR##*/}
    say "warning: cannot resolve $KERNEL_META, using cached kernel $KVER"
    return
  fi
  KVER=${pkg#linux-image-}
  KDIR=$CACHE/$KVER
  [[ -e $KDIR/.complete ]] && return
  say "downloading and unpacking $pkg (about 107 MB, once)"
  rm -rf "$KDIR" "$KDIR.tmp"
  dl=$(mktemp -d "$CACHE/download.XXXXXX")
  chown _apt "$dl" 2>/dev/null || true # lets apt download without its sandbox warning
  (cd "$dl" && apt-get download -q "$pkg") >"$CACHE/apt.log" 2>&1 ||
    { apt_update && (cd "$dl" && apt-get download -q "$pkg") >"$CACHE/apt.log" 2>&1; } ||
    { tail -n 20 "$CACHE/apt.log" >&2; rm -rf "$dl"; die "$EXIT_HOST" "apt-get download $pkg failed"; }
  deb=$(find "$dl" -maxdepth 1 -name '*.deb' | head -n 1)
  mkdir -p "$KDIR.tmp"
  dpkg-deb -x "$deb" "$KDIR.tmp" || { rm -rf "$dl" "$KDIR.tmp"; die "$EXIT_HOST" "dpkg-deb -x $deb failed"; }
  rm -rf "$dl"
  [[ -f $KDIR.tmp/boot/vmlinuz-$KVER ]] || die "$EXIT_HOST" "$pkg has no boot/vmlinuz-$KVER"
  depmod -b "$KDIR.tmp" "$KVER" || die "$EXIT_HOST" "depmod failed"
  touch "$KDIR.tmp/.complete"
  mv "$KDIR.tmp" "$KDIR"
}

# PID 1 of the guest (busybox sh). Reads its parameters from the control
# share, builds the overlay root, does the setup, runs /run/dmahost/cmd.sh in
# the chroot with its output on the virtio console, writes the status back.
read -r -d '' INIT_SCRIPT <<'EOF' || true
#!/bin/sh
# PID 1 of the DMAHost test guest; generated by Tests/VM/run-in-vm.sh.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
CTL_OK=0
off() { sync; poweroff -f; sleep 5; }
fail() { # boot problems: the host sees no "started" and may retry
  echo "dmahost-init: FAILED: $*"
  off
}
setup_fail() { # deterministic setup problems: the host reports them, no retry
  echo "dmahost-init: SETUP FAILED: $*"
  [ "$CTL_OK" = 1 ] && echo "$*" >/ctl/setup-failed
  off
}
while read -r m; do
  insmod "/modules/$m" || fail "insmod $m"
done </modules/order
P9="trans=virtio,version=9p2000.L,msize=262144"
mount -t 9p -o "$P9,cache=none" dmahostctl /ctl || fail "mount control share"
CTL_OK=1
KVER=$(cat /ctl/kver)
KDIR=$(cat /ctl/kdir)
WORKDIR=$(cat /ctl/workdir)
SETUP=$(cat /ctl/setup)
R=/newroot
mount -t 9p -o "$P9,ro,cache=loose" hostroot /lower || fail "mount host root"
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay $R || fail "mount overlay"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $R/dev/shm
mount -t tmpfs -o mode=0755 tmpfs $R/run
mkdir -p $R/run/dmahost
mount --bind /ctl $R/run/dmahost
mkdir -p "$R$WORKDIR"
mount -t 9p -o "$P9,cache=mmap" workdir "$R$WORKDIR" || fail "mount working directory"
# The kernel's own module requests (e.g. crc32 for rdma_rxe) run the usermode
# helper in the initramfs root, where /sbin/modprobe is busybox's: hand them
# to the real modprobe inside the chroot instead.
printf '#!/bin/sh\nexec chroot %s /sbin/modprobe "$@"\n' "$R" >/sbin/modprobe-chroot
chmod 755 /sbin/modprobe-chroot
if [ "$SETUP" = 1 ]; then
  echo /sbin/modprobe-chroot >/proc/sys/kernel/modprobe || setup_fail "set modprobe path"
  chroot $R /bin/sh -exc '
    mkdir -p /lib/modules
    ln -sfn "$1/lib/modules/$2" "/lib/modules/$2"
    ip link set lo up
    modprobe rdma_rxe
    modprobe vgem
    rdma link add rxe0 type rxe netdev lo
  ' setup "$KDIR" "$KVER" || setup_fail "module load or rdma link add (see kernel log)"
fi
echo started >/ctl/started
chroot $R /bin/bash /run/dmahost/cmd.sh </dev/null >/dev/hvc0 2>&1
echo $? >/ctl/status
off
EOF

# Sets INITRD (cached, keyed on the init script, module set, kernel, busybox).
ensure_initramfs() {
  local busybox key mods=() m line tmp
  busybox=$(command -v busybox || true)
  [[ -n $busybox ]] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
    busybox=/bin/busybox
  mapfile -t mods < <(for m in "${INITRD_MODULES[@]}"; do
    modprobe -d "$KDIR" -S "$KVER" --show-depends "$m"; done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
  ((${#mods[@]})) || die "$EXIT_HOST" "cannot resolve initramfs modules in $KDIR"
  key=$({
    printf '%s\n' "$INIT_SCRIPT" "$KVER" "${mods[@]}"
    sha256sum "$busybox"
  } | sha256sum | cut -c1-16)
  INITRD=$KDIR/initramfs-$key.cpio.gz
  [[ -s $INITRD ]] && return
  info "building initramfs $INITRD"
  tmp=$(mktemp -d)
  (
    set -e
    cd "$tmp"
    mkdir -p bin sbin proc sys dev ctl lower rw newroot modules
    cp "$busybox" bin/busybox
    for line in $(bin/busybox --list-full); do
      [[ $line == */busybox ]] && continue
      mkdir -p "${line%/*}"
      ln -sf /bin/busybox "$line"
    done
    printf '%s\n' "$INIT_SCRIPT" >init
    chmod 755 init
    for m in "${mods[@]}"; do
      local name=${m##*/}
      case $name in
        *.xz) xz -dc "$m" >"modules/${name%.xz}" ;;
        *.zst) zstd -dqc "$m" >"modules/${name%.zst}" ;;
        *.gz) gzip -dc "$m" >"modules/${name%.gz}" ;;
        *) cp "$m" "modules/$name" ;;
      esac
      name=${name%.xz}; name=${name%.zst}; name=${name%.gz}
      echo "$name" >>modules/order
    done
    find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet | gzip -1 >"$INITRD.tmp"
  ) || { rm -rf "$tmp" "$INITRD.tmp"; die "$EXIT_HOST" "building the initramfs failed"; }
  rm -rf "$tmp"
  mv "$INITRD.tmp" "$INITRD"
  find "$KDIR" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -path "$INITRD" -delete
}

ensure_packages
ensure_kernel
ensure_initramfs
flock -u "$lock_fd"
exec {lock_fd}>&-
info "host ready after $(secs_since "$t_start") s (kernel $KVER)"

# ---------------------------------------------------------------- run the guest
RUN=$(mktemp -d /tmp/dmahost-vm.XXXXXX)
CTL=$RUN/ctl
mkdir "$CTL"
qemu_pid='' pipe_pid=''
cleanup() {
  if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then kill "$qemu_pid" 2>/dev/null || true; fi
  if [[ -n $pipe_pid ]]; then wait "$pipe_pid" 2>/dev/null || true; fi
  rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf '%s\n' "$KVER" >"$CTL/kver"
printf '%s\n' "$KDIR" >"$CTL/kdir"
printf '%s\n' "$WORKDIR" >"$CTL/workdir"
printf '%s\n' "$SETUP" >"$CTL/setup"
{
  echo '# generated by run-in-vm.sh: caller environment, then the command'
  while read -r v; do
    case $v in PWD | OLDPWD | SHLVL | _ | BASH_* | SHELLOPTS | BASHOPTS) continue ;; esac
    [[ $v =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    printf 'export %s=%q\n' "$v" "${!v}"
  done < <(compgen -e)
  printf 'export DMAHOST_IN_VM=1 DMAHOST_VM_KVER=%q\n' "$KVER"
  printf 'cd -- %q || exit %d\n' "$WORKDIR" "$EXIT_BOOT"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
} >"$CTL/cmd.sh"

KLOG=$RUN/kernel.log
QEMU=(qemu-system-x86_64
  -accel "tcg,thread=multi" -cpu max -smp "$SMP" -m "$MEM" -machine q35
  -nodefaults -display none -monitor none -net none -no-reboot
  -kernel "$KDIR/boot/vmlinuz-$KVER" -initrd "$INITRD"
  -append "console=ttyS0 quiet panic=-1 oops=panic rdinit=/init"
  -serial "file:$KLOG"
  -device virtio-serial-pci -chardev "stdio,id=vcon,signal=off" -device "virtconsole,chardev=vcon"
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$WORKDIR,mount_tag=workdir,security_model=none,multidevs=remap"
  -virtfs "local,path=$CTL,mount_tag=dmahostctl,security_model=none"
  -pidfile "$RUN/qemu.pid")

deadline_ms=$((t_start + TIMEOUT * 1000))

show_log() { # MESSAGE: report a failure with the tail of the kernel log
  say "error: $1"
  if [[ -s $KLOG ]]; then
    mkdir -p "$CACHE/logs"
    cp "$KLOG" "$CACHE/logs/last-failure.log"
    say "last kernel log lines (full log: $CACHE/logs/last-failure.log):"
    tail -n 40 "$KLOG" | tr -d '\r' | sed 's/^/  | /' >&2
  else
    say "the kernel log is empty: qemu failed to start or the kernel died before its console came up"
  fi
}

# One boot. Sets ATTEMPT_RC (qemu/timeout status) and STALLED (1 if killed
# because COMMAND had not started within BOOT_TIMEOUT).
boot_once() {
  local remaining_ms t_boot limit_ms rc
  rm -f "$CTL/started" "$CTL/status" "$CTL/setup-failed" "$RUN/qemu.rc" "$RUN/qemu.pid"
  : >"$KLOG"
  STALLED=0
  remaining_ms=$((deadline_ms - $(now_ms)))
  if ((remaining_ms < 1000)); then
    ATTEMPT_RC=$EXIT_TIMEOUT
    return
  fi
  t_boot=$(now_ms)
  {
    rc=0
    timeout -k 10 "$((remaining_ms / 1000))" "${QEMU[@]}" </dev/null || rc=$?
    echo "$rc" >"$RUN/qemu.rc"
  } | tr -d '\r' &
  pipe_pid=$!
  # Wait for COMMAND to start (or the guest to die, or the boot limit).
  limit_ms=$((BOOT_TIMEOUT * 1000))
  while kill -0 "$pipe_pid" 2>/dev/null && [[ ! -e $CTL/started ]]; do
    [[ -z $qemu_pid && -s $RUN/qemu.pid ]] && qemu_pid=$(<"$RUN/qemu.pid")
    if (($(now_ms) - t_boot > limit_ms)); then
      STALLED=1
      if [[ -n $qemu_pid ]]; then kill "$qemu_pid" 2>/dev/null || true; fi
      break
    fi
    sleep 0.1
  done
  [[ -e $CTL/started ]] && info "command started $(secs_since "$t_boot") s after qemu start ($(secs_since "$t_start") s in total)"
  wait "$pipe_pid" || true
  qemu_pid='' pipe_pid=''
  ATTEMPT_RC=$(cat "$RUN/qemu.rc" 2>/dev/null || echo "$EXIT_BOOT")
  info "guest exited $(secs_since "$t_boot") s after qemu start (qemu status $ATTEMPT_RC)"
}

for ((try = 1; ; try++)); do
  boot_once
  if [[ -s $CTL/status ]]; then
    status=$(<"$CTL/status")
    [[ $status =~ ^[0-9]+$ ]] || die "$EXIT_BOOT" "guest returned a malformed status '$status'"
    exit "$status"
  fi
  if [[ $ATTEMPT_RC == "$EXIT_TIMEOUT" ]]; then
    if [[ -e $CTL/started ]]; then
      say "error: timed out after $TIMEOUT s (command was still running)"
    else
      show_log "timed out after $TIMEOUT s before the command started"
    fi
    exit "$EXIT_TIMEOUT"
  fi
  if [[ -e $CTL/setup-failed ]]; then
    show_log "guest setup failed: $(<"$CTL/setup-failed")"
    exit "$EXIT_SETUP"
  fi
  if [[ -e $CTL/started ]]; then
    show_log "guest died while the command was running (no exit status returned)"
    exit "$EXIT_BOOT"
  fi
  if ((try >= MAX_TRIES)); then
    show_log "guest failed to boot $MAX_TRIES times$( ((STALLED)) && echo " (last: command not started within $BOOT_TIMEOUT s)")"
    exit "$EXIT_BOOT"
  fi
  say "guest died before the command started (try $try of $MAX_TRIES); retrying"
  if [[ $VERBOSE == 1 ]]; then tail -n 15 "$KLOG" | tr -d '\r' | sed 's/^/  | /' >&2; fi
done
