#!/usr/bin/env bash
# The README's first command: installs what hako needs, builds it, makes the built-in image
# hako.local/busybox (from Debian's busybox-static) and runs a real container from it.
#   scripts/demo.sh            run a command that shows what the container sees
#   scripts/demo.sh -it        an interactive shell in the container
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [ "${1:-}" = "-it" ]; then
  exec bin/hako run --rm -it hako.local/busybox sh
fi
exec bin/hako run --rm --hostname demo hako.local/busybox sh -c '
  echo "hello from a hako container: hostname $(hostname), I am PID $$, user $(id -un)"
  echo "--- ps (only the container'"'"'s processes):"; ps -o pid,user,comm
  echo "--- my namespaces:"; ls -l /proc/self/ns | sed -n "s/.* \([a-z_]*\) -> \(.*\)/  \1 \2/p"
  echo "--- capabilities (docker'"'"'s default set):"; grep Cap /proc/self/status
  echo "--- my cgroup, as I see it:"; cat /proc/self/cgroup | head -3
  true'
