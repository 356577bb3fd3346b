#!/usr/bin/env bash
# The one test command: installs what is needed, builds, runs unit tests then integration tests (root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run -s test:unit
npm run -s test:integration
