#!/usr/bin/env bash
# Installs every system package hako and its tests need (Debian), then the npm packages, then builds.
# Safe to run again: apt and npm skip what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential pkg-config libseccomp-dev   # the native helper and its seccomp support
  busybox-static                              # the built-in demo/test image
  uidmap                                      # newuidmap/newgidmap for rootless user namespaces
  passt slirp4netns                           # rootless networking: pasta (preferred, as podman 5), slirp4netns as fallback
  fuse-overlayfs                              # rootless roots where the kernel refuses overlayfs in a user namespace (< 5.11) or HAKO_MOUNT_PROGRAM asks (podman's mount_program); brings fuse3
  docker-registry skopeo                      # registry tests: a real registry on 127.0.0.1
  containernetworking-plugins iptables        # engine networking: CNI networks (--driver cni), the firewall where nft is missing
  nftables                                    # the bridge driver's firewall table (nft -f -: masquerade, published ports)
  conmon                                      # the engine's container monitor
  catatonit                                   # `hako run --init`: a tiny init for PID 1
  procps                                      # `hako top CONTAINER [ps OPTIONS]` runs ps(1) with the user's options, as docker's daemon
  python3                                     # tests: receivers of SCM_RIGHTS fds (console socket, seccomp notify)
  openssl                                     # tests: a self-signed certificate for an HTTPS registry client test
  apache2-utils                               # tests: htpasswd (bcrypt) files for the registry's basic auth
  podman containerd                           # tests: hako as the runtime of real engines (engines.test.ts)
  systemd dbus                                # tests: the systemd cgroup driver, in VMs booted with this systemd and its bus (scripts/test-vm-systemd.sh)
  docker-compose python3-docker               # tests: real Docker API clients (compose 1.29, the Python docker package) against `hako system service`
  criu                                        # checkpoint/restore: `criu swrk`, driven over its RPC (src/runtime/criu/)
  golang-github-checkpoint-restore-go-criu-dev  # criu's rpc.proto, the source of src/runtime/criu/rpc.proto (kept in the tree)
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# pasta and slirp4netns open /dev/net/tun as the user: udev makes it 0666 (50-udev-default.rules);
# machines without udev (containers, minimal VMs) leave the kernel's 0600, so rootless networking fails.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then chmod 0666 /dev/net/tun; fi
# npm ci also brings Bun (the dev dependency `bun`, its binary in @oven/bun-linux-x64), which
# compiles the command line into one executable, dist/hako.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run -s build
# The built-in image hako.local/busybox, offline, from busybox-static (no-op when present).
node scripts/builtin-image.mjs >/dev/null
