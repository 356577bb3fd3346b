// What `hako run --help` and `hako create --help` say about each of run's flags. The flags
// themselves (names, kinds) are the library's RUN_FLAGS (src/engine/flags.ts); a unit test holds
// the two together, so a flag added there without a line here fails.
import { RUN_FLAGS } from '../../engine/flags.js';
import type { Flag, Flags } from '../command.js';

type Help = [value: string, help: string] | string;

const HELP: Record<string, Help> = {
  interactive: 'keep stdin open',
  tty: 'allocate a pseudo-terminal',
  rm: 'remove the container when it exits',
  detach: 'run in the background and print the container ID',
  name: ['NAME', 'name the container'],
  env: ['K[=V]', 'set an environment variable (repeatable; K alone takes the value from here)'],
  'env-file': ['FILE', 'read environment variables from FILE (repeatable)'],
  volume: ['SRC:DST[:OPTS]', 'bind-mount a host path or a named volume (repeatable)'],
  mount: ['type=…,source=…,target=…', 'attach a bind, volume or tmpfs mount (repeatable)'],
  tmpfs: ['DST[:OPTS]', 'mount a tmpfs (repeatable)'],
  publish: ['[IP:][HOST:]PORT[/PROTO]', "publish a container's port on the host (repeatable)"],
  'publish-all': 'publish every exposed port on a random host port',
  network: ['NAME', 'connect to a network: bridge (default), none, host, container:NAME or a user network'],
  net: ['NAME', 'the same as --network'],
  hostname: ['NAME', "the container's host name"],
  workdir: ['DIR', 'working directory inside the container'],
  user: ['USER[:GROUP]', 'user name or uid, and group'],
  entrypoint: ['CMD', "replace the image's entrypoint"],
  memory: ['BYTES', 'memory limit (k, m, g suffixes)'],
  'memory-swap': ['BYTES', 'memory plus swap limit (-1: unlimited)'],
  cpus: ['N', 'number of CPUs (1.5)'],
  'cpu-shares': ['N', 'CPU shares (relative weight)'],
  'pids-limit': ['N', 'maximum number of processes (-1: unlimited)'],
  ulimit: ['NAME=SOFT[:HARD]', 'a resource limit (repeatable)'],
  'read-only': "mount the container's root filesystem read-only",
  'cap-add': ['CAP', 'add a capability, or ALL (repeatable)'],
  'cap-drop': ['CAP', 'drop a capability, or ALL (repeatable)'],
  privileged: 'every capability and device, no seccomp, no masked paths',
  'security-opt': ['OPT', 'seccomp=FILE|unconfined, no-new-privileges, apparmor=…, label=… (repeatable)'],
  device: ['HOST[:CONTAINER[:rwm]]', 'add a host device (repeatable)'],
  sysctl: ['K=V', 'set a namespaced kernel parameter (repeatable)'],
  init: 'run an init as PID 1 that forwards signals and reaps zombies',
  restart: ['POLICY', 'no, always, unless-stopped or on-failure[:N]'],
  label: ['K=V', 'set metadata on the container (repeatable)'],
  userns: ['MODE', 'user namespace: host, or keep-id style mappings where supported'],
  'stop-signal': ['SIGNAL', 'the signal that stops the container (default SIGTERM)'],
  'stop-timeout': ['SECONDS', 'seconds before stop kills the container (default 10)'],
  help: 'print this help',
  // Lines for flags other branches are adding (issues 16 and 17), so that their merge needs no edit
  // here; a line whose flag RUN_FLAGS lacks is simply not shown.
  runtime: ['NAME', 'the OCI runtime: hako (default), runc, crun, or a path'],
  'shm-size': ['BYTES', 'size of /dev/shm (default 64m)'],
  'label-file': ['FILE', 'read labels from a file of K=V lines (repeatable)'],
  cidfile: ['FILE', "write the container's ID to FILE"],
  platform: ['OS/ARCH[/VARIANT]', 'the platform to pull when the image is pulled'],
  pull: ['always|missing|never', 'when to pull the image (default missing)'],
  'log-driver': ['json-file|none', "where the container's output is kept (default json-file)"],
  'log-opt': ['K=V', 'log driver option: max-size, max-file (repeatable)'],
  'health-cmd': ['CMD', 'command that checks the container is healthy'],
  'health-interval': ['DURATION', 'time between health checks (default 30s)'],
  'health-retries': ['N', 'consecutive failures before unhealthy (default 3)'],
  'health-start-period': ['DURATION', 'time before failures count (default 0s)'],
  'health-timeout': ['DURATION', 'longest a health check may run (default 30s)'],
  'no-healthcheck': "disable the image's HEALTHCHECK",
  pod: ['NAME|new:NAME', "join a pod (podman's): its network, host name and IPC; new: makes it"],
  uts: ['host|container:NAME', "the UTS namespace (host name): the host's or another container's"],
  ipc: ['host|private|shareable|container:NAME', "the IPC namespace: the host's or another container's"],
  'add-host': ['HOST:IP', 'add a line to /etc/hosts; IP host-gateway is the network gateway (repeatable)'],
  dns: ['IP', 'a DNS server for /etc/resolv.conf (repeatable)'],
  'dns-search': ['DOMAIN', 'a DNS search domain (repeatable)'],
  'dns-option': ['OPT', 'a resolv.conf option (repeatable)'],
  ip: ['IPV4', "the container's IPv4 address on its (first) network (one with a --subnet)"],
  ip6: ['IPV6', "the container's IPv6 address on its (first) network (one made with --ipv6 --subnet)"],
  'network-alias': ['NAME', 'another name for the container on its network (repeatable)'],
  alias: ['NAME', 'the same as --network-alias'],
  'mac-address': ['MAC', "the container's MAC address"],
  expose: ['PORT[/PROTO]', 'expose a port without publishing it (repeatable)'],
  'group-add': ['GROUP', 'an additional group for the process (repeatable)'],
};

/** RUN_FLAGS with their help lines (a flag missing from HELP shows without one). */
export function runFlags(): Flags {
  const out: Flags = {};
  for (const [name, o] of Object.entries(RUN_FLAGS)) {
    if (name === 'help') continue; // every command's --help, added by the dispatcher
    const h = HELP[name] ?? '';
    const [value, help] = typeof h === 'string' ? [undefined, h] : h;
    out[name] = { ...(o as Flag), ...(value ? { value } : {}), help };
  }
  return out;
}

export const RUN_FLAG_NAMES_WITH_HELP = Object.keys(HELP);
