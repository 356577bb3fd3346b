#!/usr/bin/env bash
# The cgroup v2 tests, on a pure cgroup v2 kernel. This machine is cgroup v1 hybrid, so there the
# integration tests exercise the v1 driver; ../shared/vm/run.sh boots Debian's kernel with
# cgroup_no_v1=all under qemu (this machine's / read-only with a tmpfs on top, in this directory) and
# the test files below run in it against the v2 driver. scripts/test.sh runs this after the
# integration tests; it needs a finished build (build/, dist/, native/hako-init).
# Prints its own summary; exits non-zero when a test fails in the VM (or the VM does not answer);
# without ../shared/vm it says so and skips.
#   scripts/test-vm.sh            run the files below in the VM
#   scripts/test-vm.sh FILE...    run these instead (paths under build/)
set -uo pipefail
cd "$(dirname "$0")/.."

# Chosen for what only a v2 host shows, within ~10 minutes of CI here (emulation makes everything
# 20-40x slower; see the timings in the summary): the v2 driver with its controllers, the device
# filter (eBPF), limits/update/pause/events/OOM through the runtime, exec --cgroup and device rule
# access (each compared with runc in the VM too), limits through the engine, and rootless limits
# below a delegated subtree (the runtime and the engine as an ordinary user).
FILES=(
  build/test/integration/cgroups/v2.test.js
  build/test/integration/cgroups/v2-unified.test.js
  build/test/integration/cgroups/devices-bpf.test.js
  build/test/integration/runtime/cgroups.test.js
  build/test/integration/runtime/exec-cgroup.test.js
  build/test/integration/runtime/device-access.test.js
  build/test/integration/engine/limits.test.js
  build/test/integration/rootless/cgroups.test.js
  # CRIU 3.17 cannot run on this machine's newer kernel (criu check), but can on the VM's 6.1.
  build/test/integration/checkpoint/runtime.test.js
  build/test/integration/checkpoint/engine.test.js
  build/test/integration/checkpoint/podman.test.js
)

if [ "${1:-}" = --inside ]; then
  # In the VM: make sure it is what it claims to be, then the tests.
  shift
  [ -f /sys/fs/cgroup/cgroup.controllers ] || { echo "vm tests: /sys/fs/cgroup is not a cgroup v2 root in the VM"; exit 1; }
  echo "vm: kernel $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
  exec node --test --test-concurrency=1 --test-reporter=spec "$@"
fi

VM=../shared/vm/run.sh
if [ ! -x "$VM" ]; then
  echo "vm tests: SKIPPED: $VM not found, so the cgroup v2 driver is not tested on a v2 kernel"
  exit 0
fi
[ $# -gt 0 ] && FILES=("$@")
for f in "${FILES[@]}"; do [ -f "$f" ] || { echo "vm tests: $f is missing (npm run build first)"; exit 1; }; done

log=$(mktemp "${TMPDIR:-/tmp}/hako-vm-tests.XXXXXX")
stage=
trap 'rm -f "$log"; [ -z "$stage" ] || rm -rf "$stage"' EXIT
VM=$(readlink -f "$VM")
# The VM sees this machine's / read-only, but mounts tmpfs of its own on /tmp, /var/tmp, /run,
# /var/lib/hako and /var/lib/cni: a checkout under one of those (a CI clone in /tmp) is invisible
# there. Run from a copy elsewhere then, hard-linked where the file system allows (instant).
case "$PWD/" in
  /tmp/*|/var/tmp/*|/run/*|/var/lib/hako/*|/var/lib/cni/*)
    mkdir -p /var/cache/hako-vm-stage
    stage=$(mktemp -d /var/cache/hako-vm-stage/run.XXXXXX)
    # mktemp makes it 0700: the rootless tests run the copy as a user made in the VM.
    chmod 0755 /var/cache/hako-vm-stage "$stage"
    cp -al . "$stage/repo" 2>/dev/null || { rm -rf "$stage/repo"; cp -a . "$stage/repo"; } || { echo "vm tests: cannot copy $PWD to $stage"; exit 1; }
    echo "vm tests: $PWD is hidden in the VM (a tmpfs there); running from a copy in $stage/repo"
    cd "$stage/repo"
    ;;
esac
t0=$(date +%s)
echo "vm tests: ${#FILES[@]} files on a pure cgroup v2 kernel (qemu, emulated)"
# One VM at a time on this machine: they are CPU-bound, and parallel ones would only time out.
# The timeout is a hang guard: the files take ~200-290 s here at a load of 8-20.
flock -w 1800 /tmp/hako-vm-tests.lock env VM_SMP="${VM_SMP:-2}" VM_TIMEOUT="${VM_TIMEOUT:-900}" \
  "$VM" "bash scripts/test-vm.sh --inside ${FILES[*]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - t0))

n() { sed -n "s/^ℹ $1 \([0-9]*\)$/\1/p" "$log" | tail -1; }
if [ -z "$(n tests)" ]; then
  echo "vm tests: FAILED: no test summary from the VM (exit $rc, ${secs} s)"
  exit 1
fi
echo "vm tests (pure cgroup v2): $(n tests) tests, $(n pass) pass, $(n fail) fail, $(n skipped) skipped, in ${secs} s"
grep -E '^ *﹣ .* # ' "$log" | sed 's/^ *﹣ /vm tests: skipped: /'
if [ "$rc" -ne 0 ] || [ "$(n fail)" != 0 ] || [ "$(n cancelled)" != 0 ]; then
  echo "vm tests: FAILED (exit $rc)"
  exit 1
fi
