#!/usr/bin/env bash
# The one test command: installs what is needed, builds, runs unit tests then integration tests (root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run -s test:unit
npm run -s test:integration

# cgroup v2: this machine is v1 hybrid, so the v2 driver's tests run in a pure v2 VM
# (../shared/vm, scripts/test-vm.sh); skipped with the reason when that is missing.
bash scripts/test-vm.sh
