// Shapes of the engine's records. ContainerConfig is what the user asked for (kept so `start` can
// recreate the container and `inspect` can show it); ContainerState is what happened since.

export interface VolumeSpec {
  /** bind: a host path; volume: a named volume; tmpfs: nothing. */
  type: 'bind' | 'volume' | 'tmpfs';
  source: string;
  target: string;
  readOnly: boolean;
  /** Extra mount options (tmpfs size=, mode=, bind propagation). */
  options: string[];
}

export interface PortMapping {
  hostIP: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface DeviceMapping {
  host: string;
  container: string;
  permissions: string;
}

export type RestartPolicy = { name: 'no' | 'always' | 'unless-stopped' } | { name: 'on-failure'; maximumRetryCount: number };

/** `hako run`/`create` flags, parsed and checked (flags.ts). */
export interface RunOptions {
  image: string;
  /** Words after the image: replace the image's Cmd. */
  command: string[];
  interactive: boolean;
  tty: boolean;
  rm: boolean;
  detach: boolean;
  name?: string;
  env: string[];
  envFiles: string[];
  volumes: VolumeSpec[];
  publish: PortMapping[];
  /** -P: publish the image's ExposedPorts to random ports (network.ts PUBLISH_ALL_HOST_IP). */
  publishAll?: boolean;
  network: string;
  hostname?: string;
  /** --add-host NAME:IP ('host-gateway': the network's gateway) for /etc/hosts. */
  addHosts?: { name: string; ip: string }[];
  /** --dns, --dns-search, --dns-option for /etc/resolv.conf (instead of the host's). */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --network-alias: more names peers on the container's networks resolve to it. */
  networkAliases?: string[];
  /** --ip, --ip6, --mac-address (engine/static-address.ts): the first network's. */
  ip?: string;
  ip6?: string;
  macAddress?: string;
  workdir?: string;
  user?: string;
  /** undefined: the image's; '': none (docker's --entrypoint ""); a list: the API's Entrypoint. */
  entrypoint?: string | string[];
  /** More ports the container exposes ("8080/tcp"), beside the image's: the API's ExposedPorts. */
  expose?: string[];
  memory?: number;
  memorySwap?: number;
  cpus?: number;
  cpuShares?: number;
  pidsLimit?: number;
  ulimits: Ulimit[];
  readOnly: boolean;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  seccomp?: string;
  noNewPrivileges: boolean;
  devices: DeviceMapping[];
  sysctls: Record<string, string>;
  init: boolean;
  restart: RestartPolicy;
  labels: Record<string, string>;
  userns?: string;
  stopSignal?: string;
  stopTimeout?: number;
  /** `--runtime`: hako, runc, crun or a path; undefined: the engine root's default (oci-runtime.ts). */
  runtime?: string;
  /** --shm-size in bytes (default 64 MiB). */
  shmSize?: number;
  /** --cidfile: the container's ID is written there by the CLI (refused when the file exists). */
  cidfile?: string;
  /** --pull: when the image is pulled (default missing). */
  pull?: 'always' | 'missing' | 'never';
  /** --platform os/arch[/variant]: pulled for it; an image present for another is refused. */
  platform?: string;
  /** --log-driver: json-file and k8s-file are conmon's k8s-file log; none keeps no log. */
  logDriver?: 'json-file' | 'k8s-file' | 'none';
  /** --log-opt max-size (bytes; conmon's --log-size-max) and max-file. */
  logMaxSize?: number;
  logMaxFile?: number;
  /** --health-* / --no-healthcheck (test ['NONE']): merged over the image's HEALTHCHECK (health.ts). */
  healthcheck?: Partial<HealthConfig>;
  /** --uts / --ipc: `container:REF` joins that container's namespace (namespace-join.ts); `host`. */
  uts?: string;
  ipc?: string;
  /** --pod: the pod's id (pods.ts); its members join the infra container's net, uts and ipc. */
  pod?: string;
  /** Set on a pod's infra container: the pod's id (it is removed with the pod, not alone). */
  infraOf?: string;
}

/** docker's HealthConfig (the image's HEALTHCHECK, the --health-* flags), durations in ms. */
export interface HealthConfig {
  /** ['CMD', arg…], ['CMD-SHELL', 'command'] or ['NONE']. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  startPeriodMs: number;
  retries: number;
}

export interface ContainerConfig {
  id: string;
  name: string;
  created: string;
  /** The reference as given, and the image ID (config digest) it resolved to. */
  image: string;
  imageId: string;
  imageRef: string;
  options: RunOptions;
  /** Final process: entrypoint + cmd combined. */
  path: string;
  args: string[];
  /** The image's ExposedPorts keys ("80/tcp"), for -P. */
  exposedPorts?: string[];
  /** The OCI runtime it was created with (oci-runtime.ts); absent in records older than the choice: hako. */
  runtime?: string;
}

export type Status = 'created' | 'running' | 'restarting' | 'exited' | 'removing';

export interface ContainerState {
  status: Status;
  /** The container's init pid on the host, 0 when not running. */
  pid: number;
  /** /proc/<pid>/stat start time: tells our process from a later one with the same pid. */
  pidStartTime?: string;
  /** conmon's pid (detached) or the foreground hako's pid. */
  monitorPid?: number;
  monitorStartTime?: string;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  restartCount: number;
  /** Set by stop/kill/rm: the exit was asked for, so a restart policy must not restart it. */
  stopRequested?: boolean;
  /** The OCI runtime id of the current run (the container id). */
  error?: string;
  oomKilled?: boolean;
  /** Frozen by `pause` (the cgroup freezer) until `unpause`. */
  paused?: boolean;
  /** Exited by `checkpoint`: its images are in <container>/checkpoint for `restore`. */
  checkpointed?: boolean;
  /** While `removing`: the hako process doing it (pid and start time), so another waits for it. */
  removerPid?: number;
  removerStartTime?: string;
}
