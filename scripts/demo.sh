#!/usr/bin/env bash
# The README's first command: installs what hako needs, builds it, and runs a real container from the
# built-in busybox image (made from Debian's busybox-static), showing what the process inside sees.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
exec node scripts/demo.mjs "$@"
