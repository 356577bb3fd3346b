# Stage 2 of the systemd VM (scripts/test-vm-systemd.sh), PID 1 until it execs systemd: a copy of
# ../shared/vm/stage2.sh's set-up that systemd does not do itself (the guest kernel's modules, the
# tmpfs hako and its tests expect), then a unit that runs the command once D-Bus is up, and systemd.
# Cgroups are left to systemd: the kernel command line picks v2 or v1 (systemd.unified_cgroup_hierarchy).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
B=/bin/busybox
X=/mnt/vmx
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t tmpfs -o mode=755 run /run
$B mkdir -p /run/lock
$B mount -t tmpfs -o mode=1777 tmp /tmp
$B mount -t tmpfs -o mode=1777 vartmp /var/tmp
$B mkdir -p /var/lib/hako /var/lib/cni
$B mount -t tmpfs -o mode=700 hako /var/lib/hako
$B mkdir -p /usr/lib/modules
$B mount --bind "/mnt/vmhost$(cat $X/modules)" /usr/lib/modules
printf '#!/bin/sh\nexec /bin/busybox modprobe "$@"\n' >/run/vm-modprobe
$B chmod +x /run/vm-modprobe
echo /run/vm-modprobe >/proc/sys/kernel/modprobe
$B hostname hako-vm
# cgroup v1: systemd 252 here mounted cgroup2 in spite of systemd.unified_cgroup_hierarchy=0 on the
# kernel command line, so the v1 hierarchies are mounted first, as systemd's legacy mode lays them
# out (tmpfs, one per controller, cpu+cpuacct and net_cls+net_prio together, name=systemd), and
# systemd follows the layout it finds mounted: its default "hybrid" one, adding the controller-less
# cgroup2 at /sys/fs/cgroup/unified, as on Debian 11 or this machine.
if grep -qw 'systemd.unified_cgroup_hierarchy=0' /proc/cmdline; then
  $B mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup /sys/fs/cgroup
  for c in cpuset cpu,cpuacct blkio memory devices freezer net_cls,net_prio perf_event hugetlb pids rdma misc; do
    $B mkdir -p /sys/fs/cgroup/$c
    $B mount -t cgroup -o nosuid,nodev,noexec,$c cgroup /sys/fs/cgroup/$c || $B rmdir /sys/fs/cgroup/$c
  done
  $B ln -s cpu,cpuacct /sys/fs/cgroup/cpu; $B ln -s cpu,cpuacct /sys/fs/cgroup/cpuacct
  $B ln -s net_cls,net_prio /sys/fs/cgroup/net_cls; $B ln -s net_cls,net_prio /sys/fs/cgroup/net_prio
  $B mkdir -p /sys/fs/cgroup/systemd
  $B mount -t cgroup -o nosuid,nodev,noexec,none,name=systemd,xattr cgroup /sys/fs/cgroup/systemd
fi
# The host's machine-id is the same file read-only below; systemd wants one it can call its own.
$B cat /proc/sys/kernel/random/uuid | $B tr -d - >/etc/machine-id
U=/etc/systemd/system
# Only what the test needs: D-Bus (runc and hako talk to systemd through it) and the test unit,
# not multi-user.target with the host's services (containerd, postgresql, podman ...).
cat >$U/hako-vm.target <<'EOF'
[Unit]
Description=hako systemd-driver tests
Requires=dbus.socket dbus.service hako-vm-test.service
EOF
cat >$U/hako-vm-test.service <<EOF
[Unit]
Description=hako test command
After=dbus.service
[Service]
Type=oneshot
WorkingDirectory=$(cat $X/cwd)
Environment=PATH=$PATH HOME=/root TERM=dumb LANG=C.UTF-8
ExecStart=/bin/bash $X/run-cmd.sh
EOF
cat >$X/run-cmd.sh <<'EOF'
X=/mnt/vmx
echo "vm: ready $(cut -d' ' -f1 /proc/uptime)s" >/dev/console
# A hang guard below the host's qemu timeout, so a stuck test still ends with its output and status.
timeout -k 5 "$(cat $X/timeout)" bash $X/cmd </dev/null >$X/out 2>&1
echo $? >$X/rc
sync
echo o >/proc/sysrq-trigger
EOF
echo 1 >/proc/sys/kernel/sysrq
exec /lib/systemd/systemd --unit=hako-vm.target --log-level=warning
