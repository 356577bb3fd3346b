#!/usr/bin/env bash
# The systemd cgroup driver's tests (`hako runtime --systemd-cgroup`), with systemd 252 as PID 1.
# This machine has no systemd running, so they run in the VM of ../shared/vm (Debian's 6.1 kernel
# under qemu, this machine's / read-only with a tmpfs on top), booted twice: once with systemd on
# cgroup v2 (systemd.unified_cgroup_hierarchy=1) and once on v1 (=0, the legacy hierarchies).
# ../shared/vm/run.sh takes no kernel arguments and its stage 2 is not systemd, so this script
# starts qemu itself with the same kernel, initramfs and file sharing, and a stage 2 of its own
# (scripts/vm-systemd-stage2.sh) that execs systemd with a unit running the test files.
# scripts/test.sh runs this after the other VM tests; it needs a finished build.
#   scripts/test-vm-systemd.sh              the files below on v2, then v1
#   VM_CGROUPS=v1 scripts/test-vm-systemd.sh [FILE...]
#   COMMAND='systemctl status' scripts/test-vm-systemd.sh   any command instead (debugging)
set -uo pipefail
cd "$(dirname "$0")/.."

FILES=(build/test/integration/cgroups/systemd.test.js)

if [ "${1:-}" = --inside ]; then
  shift
  [ -d /run/systemd/system ] || { echo "vm tests: systemd is not PID 1 in the VM"; exit 1; }
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then layout=v2; else layout=v1; fi
  echo "vm: kernel $(uname -r), $(systemctl --version | head -1), cgroup $layout ($(awk '$3 ~ /^cgroup/ {printf "%s ", $2}' /proc/mounts)), kernel arguments: $(cat /proc/cmdline)"
  exec node --test --test-concurrency=1 --test-reporter=spec "$@"
fi

VMDIR=../shared/vm
if [ ! -x "$VMDIR/run.sh" ]; then
  echo "systemd vm tests: SKIPPED: $VMDIR/run.sh not found, so the systemd cgroup driver is not tested"
  exit 0
fi
VMDIR=$(readlink -f "$VMDIR")
[ $# -gt 0 ] && FILES=("$@")
[ -n "${COMMAND:-}" ] || for f in "${FILES[@]}"; do [ -f "$f" ] || { echo "systemd vm tests: $f is missing (npm run build first)"; exit 1; }; done
C=${VM_CACHE:-/var/tmp/hako-vm}
[ -s "$C/k/vmlinux" ] && [ -s "$C/initrd.cpio.gz" ] || "$VMDIR/build.sh" >&2 || exit 1

stage=
trap '[ -z "$stage" ] || rm -rf "$stage"' EXIT
# The VM mounts tmpfs of its own on /tmp, /var/tmp, /run and /var/lib/hako: a checkout there (a CI
# clone in /tmp) is invisible in it, so run from a hard-linked copy elsewhere (as scripts/test-vm.sh).
case "$PWD/" in
  /tmp/* | /var/tmp/* | /run/* | /var/lib/hako/*)
    mkdir -p /var/cache/hako-vm-stage
    stage=$(mktemp -d /var/cache/hako-vm-stage/run.XXXXXX)
    # mktemp makes it 0700: the rootless tests run the copy as a user made in the VM.
    chmod 0755 /var/cache/hako-vm-stage "$stage"
    cp -al . "$stage/repo" 2>/dev/null || { rm -rf "$stage/repo"; cp -a . "$stage/repo"; } || { echo "systemd vm tests: cannot copy $PWD"; exit 1; }
    cd "$stage/repo"
    ;;
esac

# boot_systemd CGROUP_ARGS COMMAND: one VM with systemd as PID 1 running COMMAND; prints its output,
# returns its exit status (255 when the VM gave none, with the console's tail).
boot_systemd() {
  local args=$1 cmd=$2 X qpid rc off=0
  X=$(mktemp -d "${TMPDIR:-/tmp}/hako-vm-systemd.XXXXXX")
  printf '%s\n' "$cmd" >"$X/cmd"
  : >"$X/out"
  pwd >"$X/cwd"
  echo "$C/k/x/lib/modules" >"$X/modules"
  echo $((${VM_TIMEOUT:-600} - 60)) >"$X/timeout"
  cp scripts/vm-systemd-stage2.sh "$X/stage2.sh"
  timeout "${VM_TIMEOUT:-600}" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "${VM_MEM:-4G}" -smp "${VM_SMP:-2}" \
    -nodefaults -no-user-config -display none -monitor none -no-reboot -serial "file:$X/console" \
    -kernel "$C/k/vmlinux" -initrd "$C/initrd.cpio.gz" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 systemd.show_status=0 $args random.trust_cpu=on" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
    -virtfs "local,path=$X,mount_tag=xchg,security_model=passthrough" &
  qpid=$!
  follow() {
    local sz
    sz=$(stat -c %s "$X/out")
    [ "$sz" -gt "$off" ] && { tail -c +$((off + 1)) "$X/out" | head -c $((sz - off)); off=$sz; }
  }
  while kill -0 $qpid 2>/dev/null; do follow; sleep 0.5; done
  wait $qpid
  follow
  if [ -s "$X/rc" ]; then rc=$(cat "$X/rc"); else
    rc=255
    echo "vm: no exit status from the VM; its console:"
    tail -n 40 "$X/console"
  fi
  [ "${VM_KEEP:-}" = 1 ] && echo "vm: kept $X" || rm -rf "$X"
  return "$rc"
}

log=$(mktemp "${TMPDIR:-/tmp}/hako-vm-systemd.XXXXXX")
trap 'rm -f "$log"; [ -z "$stage" ] || rm -rf "$stage"' EXIT
failed=0
# One VM at a time on this machine: they are CPU-bound (scripts/test-vm.sh takes the same lock).
exec 9>/tmp/hako-vm-tests.lock
flock -w 1800 9 || { echo "systemd vm tests: another VM run holds /tmp/hako-vm-tests.lock"; exit 1; }
for layout in ${VM_CGROUPS:-v2 v1}; do
  case $layout in
    v2) args="systemd.unified_cgroup_hierarchy=1" ;;
    v1) args="systemd.unified_cgroup_hierarchy=0" ;;
    *) echo "systemd vm tests: VM_CGROUPS: unknown layout $layout (v2 or v1)"; exit 2 ;;
  esac
  t0=$(date +%s)
  echo "systemd vm tests: ${#FILES[@]} files with systemd as PID 1 on cgroup $layout (qemu, emulated)"
  boot_systemd "$args" "${COMMAND:-bash scripts/test-vm-systemd.sh --inside ${FILES[*]}}" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  secs=$(($(date +%s) - t0))
  n() { sed -n "s/^ℹ $1 \([0-9]*\)$/\1/p" "$log" | tail -1; }
  if [ -z "$(n tests)" ]; then
    echo "systemd vm tests ($layout): FAILED: no test summary from the VM (exit $rc, ${secs} s)"
    failed=1
    continue
  fi
  echo "systemd vm tests (systemd, cgroup $layout): $(n tests) tests, $(n pass) pass, $(n fail) fail, $(n skipped) skipped, in ${secs} s"
  grep -E '^ *﹣ .* # ' "$log" | sed 's/^ *﹣ /systemd vm tests: skipped: /'
  if [ "$rc" -ne 0 ] || [ "$(n fail)" != 0 ] || [ "$(n cancelled)" != 0 ]; then
    echo "systemd vm tests ($layout): FAILED (exit $rc)"
    failed=1
  fi
done
exit $failed
