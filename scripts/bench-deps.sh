#!/usr/bin/env bash
# Installs the peers `npm run bench` compares hako against, from Debian: runc, crun, podman (with
# conmon), plus what the bench itself uses: skopeo and docker-registry (pull section) and
# busybox-static (the bundle). Idempotent and quick when everything is there: apt is only touched
# for missing packages.
set -euo pipefail

PACKAGES=(runc crun podman conmon skopeo docker-registry busybox-static)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "bench-deps: all installed (${PACKAGES[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "bench-deps: missing ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "bench-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
