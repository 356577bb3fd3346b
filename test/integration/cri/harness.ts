// A containerd of our own with its CRI plugin, for driving Kubernetes' Container Runtime Interface
// without a cluster: private root, state, sockets and config.toml; two runtime handlers for the runc
// shim (`runc`, the default, and `hako`, whose BinaryName is bin/hako-runtime); a CNI bridge network
// from Debian's containernetworking-plugins in a conf dir of ours; a pause image and a busybox image
// built here from busybox-static (no registry is reachable) and imported with `ctr -n k8s.io`.
// `stop()` removes all of it and reports what it could not: mounts, network namespaces, cgroups,
// shim processes, the bridge.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { makeBusyboxRootfs } from '../../fixtures/busybox.js';
import { makeTar, sha256, type TarFile } from '../../fixtures/images.js';
import { hostPlatform } from '../../../src/oci/image/platform.js';
import { runNetlink } from '../../../src/network/netlink/exec.js';
import { delLink } from '../../../src/network/netlink/rtnl.js';
import { REPO, RUNC } from '../runtime/harness.js';

export const HAKO_RUNTIME = path.join(REPO, 'bin/hako-runtime');
export const PAUSE_IMAGE = 'hako.local/pause:cri';
export const BUSYBOX_IMAGE = 'hako.local/busybox:cri';
/** busybox with /etc/hosts, /etc/resolv.conf and /etc/hostname as symlinks to host files (see sentinels). */
export const HOSTILE_IMAGE = 'hako.local/hostile:cri';
const CNI_BIN = '/usr/lib/cni';
const PROTO = path.join(REPO, 'test/integration/cri/api.proto');

export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (fs.existsSync(path.join(dir, cmd))) return path.join(dir, cmd);
  }
  return undefined;
}

const CONTAINERD = which('containerd');
const CTR = which('ctr');

/** Why the CRI tests cannot run here, or false. */
export function criSkip(): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!CONTAINERD || !CTR || !which('containerd-shim-runc-v2'))
    return 'containerd, ctr or containerd-shim-runc-v2 is not installed (Debian package containerd; scripts/install-deps.sh)';
  if (!fs.existsSync(path.join(CNI_BIN, 'bridge')) || !fs.existsSync(path.join(CNI_BIN, 'loopback')))
    return `no CNI bridge/loopback plugins in ${CNI_BIN} (Debian package containernetworking-plugins; scripts/install-deps.sh)`;
  if (!fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes') && !fs.existsSync('/sys/fs/cgroup/cgroup.controllers'))
    return 'no memory cgroup controller';
  return false;
}

/** The handlers to run the pod sequence with: hako always, runc (containerd's default) when installed. */
export const handlers = (): string[] => (RUNC ? ['runc', 'hako'] : ['hako']);

// A unary gRPC method of a CRI service: request in, response out (plain objects, as proto-loader
// decodes them: keepCase field names, enums as strings, 64-bit integers as strings).
type Unary = (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;
// Responses are decoded protobuf messages, checked field by field by the tests.
export type Message = Record<string, any>;

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly image: grpc.Client;

  constructor(socket: string) {
    const def = protoLoader.loadSync(PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: Record<string, grpc.ServiceClientConstructor> } };
    const address = `unix://${socket}`;
    this.runtime = new pkg.runtime.v1.RuntimeService(address, grpc.credentials.createInsecure());
    this.image = new pkg.runtime.v1.ImageService(address, grpc.credentials.createInsecure());
  }

  /** Calls RuntimeService.`method`; rejects with the gRPC error (its details say containerd's reason). */
  call(method: string, req: object, timeoutMs = 60_000): Promise<Message> {
    return this.invoke(this.runtime, method, req, timeoutMs);
  }

  callImage(method: string, req: object): Promise<Message> {
    return this.invoke(this.image, method, req, 30_000);
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }

  private invoke(client: grpc.Client, method: string, req: object, timeoutMs: number): Promise<Message> {
    const fn = (client as unknown as Record<string, Unary>)[method];
    if (typeof fn !== 'function') throw new Error(`CRI has no method ${method} in ${PROTO}`);
    return new Promise((resolve, reject) => {
      fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as Message)));
    });
  }
}

/** The host state the CRI run may change, noted before containerd starts. */
interface HostBefore {
  runContainerd: boolean;
  netnsDir: boolean;
  netnsMounted: boolean;
  netns: string[];
}

export class Containerd {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-cri-'));
  readonly socket = path.join(this.dir, 'containerd.sock');
  /** The pods' cgroup parent (cgroupfs syntax), one per handler beneath it. */
  readonly cgroupParent = `hako-cri-${process.pid}`;
  readonly bridge = `hkcri${process.pid % 100000}`;
  readonly subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}.0/24`;
  private daemon: ChildProcess | undefined;
  private client: CriClient | undefined;
  private readonly before: HostBefore = {
    runContainerd: fs.existsSync('/run/containerd'),
    netnsDir: fs.existsSync('/run/netns'),
    netnsMounted: isMountPoint('/run/netns'),
    netns: listDir('/run/netns'),
  };

  get cri(): CriClient {
    assert.ok(this.client, 'containerd is not running');
    return this.client;
  }

  /** Writes the configuration and the images, starts containerd, imports the images, waits for CRI. */
  async start(): Promise<void> {
    const archives = await this.writeImages();
    this.writeConfig();
    this.writeCniConfig();
    await this.spawnDaemon('w');
    for (const archive of archives) {
      const r = this.ctr(['images', 'import', '--no-unpack=false', archive]);
      assert.equal(r.status, 0, `ctr images import ${archive}: ${r.stderr}`);
    }
    this.client = new CriClient(this.socket);
    await this.waitReady();
  }

  /** Stops containerd and starts it again, as an upgrade does: the shims and their containers live on. */
  async restart(): Promise<void> {
    this.client?.close();
    this.client = undefined;
    await this.stopDaemon();
    await this.spawnDaemon('a');
    this.client = new CriClient(this.socket);
    await this.waitReady();
  }

  private async spawnDaemon(logMode: 'w' | 'a'): Promise<void> {
    const log = fs.openSync(path.join(this.dir, 'containerd.log'), logMode);
    const daemon = spawn(CONTAINERD!, ['--config', path.join(this.dir, 'config.toml')], { stdio: ['ignore', log, log], cwd: this.dir });
    this.daemon = daemon;
    fs.closeSync(log);
    for (let i = 0; this.ctr(['version']).status !== 0; i++) {
      if (i > 150 || daemon.exitCode !== null) assert.fail(`containerd did not start: ${this.logTail()}`);
      await sleep(100);
    }
  }

  /** The command line of `ctr ARGS` against our containerd, in the CRI's namespace. */
  ctrCommand(args: string[]): string[] {
    return [CTR!, '--address', this.socket, '-n', 'k8s.io', ...args];
  }

  ctr(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const [cmd, ...rest] = this.ctrCommand(args);
    const r = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 60_000, cwd: this.dir });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** A container's directory in the state root the runc shim gives the runtime behind `handler`
   *  (the handler's Root plus containerd's namespace). */
  stateDir(handler: string, id: string): string {
    return path.join(this.dir, `state-${handler}`, 'k8s.io', id);
  }

  /** `state ID` of the runtime behind `handler`, in its state root; undefined when it has no such container. */
  runtimeState(handler: string, id: string): Message | undefined {
    const binary = handler === 'hako' ? HAKO_RUNTIME : RUNC!;
    const r = spawnSync(binary, ['--root', path.dirname(this.stateDir(handler, id)), 'state', id], { encoding: 'utf8', timeout: 30_000 });
    return r.status === 0 ? (JSON.parse(r.stdout) as Message) : undefined;
  }

  logTail(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'containerd.log'), 'utf8').slice(-3000);
    } catch {
      return '(no log)';
    }
  }

  /** RuntimeReady and NetworkReady: CRI has loaded the CNI config and knows the sandbox image. */
  private async waitReady(): Promise<void> {
    let last = '';
    for (let i = 0; i < 100; i++) {
      const status = await this.cri.call('Status', {}).catch((e: Error) => ({ error: e.message }) as Message);
      const conditions = (status.status?.conditions ?? []) as Message[];
      last = JSON.stringify(status);
      if (conditions.length >= 2 && conditions.every((c) => c.status)) return;
      await sleep(100);
    }
    assert.fail(`CRI is not ready: ${last}\n${this.logTail()}`);
  }

  /** The host files the hostile image's symlinks name: they must keep their content, unmounted. */
  get sentinels(): Record<string, string> {
    const d = path.join(this.dir, 'sentinel');
    return { hosts: `${d}/hosts`, 'resolv.conf': `${d}/resolv.conf`, hostname: `${d}/hostname` };
  }

  /** Three images as docker-save archives: busybox (one layer, every applet); the pause image, the
   *  same layer with `sleep` as entrypoint (CRI stops a sandbox with SIGKILL, so PID 1 needs no
   *  signal handling, and a long sleep is all a pause process does); and a hostile busybox whose
   *  files that containerd mounts over (/etc/hosts, resolv.conf, hostname) are symlinks out of the
   *  root, absolute and with `..`: a runtime that follows them on the host mounts over host files. */
  private async writeImages(): Promise<string[]> {
    const rootfs = makeBusyboxRootfs(path.join(this.dir, 'rootfs'));
    const layer = await makeTar(treeFiles(rootfs));
    fs.rmSync(rootfs, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.dir, 'sentinel'));
    for (const file of Object.values(this.sentinels)) fs.writeFileSync(file, 'sentinel\n');
    const s = this.sentinels;
    const hostile = await makeTar([
      { name: 'etc/hosts', symlink: s.hosts },
      { name: 'etc/resolv.conf', symlink: `../../../../../../..${s['resolv.conf']}` },
      { name: 'etc/hostname', symlink: `../..${s.hostname}` },
    ]);
    const env = ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'];
    return [
      await this.writeArchive('busybox.tar', BUSYBOX_IMAGE, [layer], { Cmd: ['sh'], Env: env }),
      await this.writeArchive('pause.tar', PAUSE_IMAGE, [layer], { Entrypoint: ['/bin/sleep', '2147483647'] }),
      await this.writeArchive('hostile.tar', HOSTILE_IMAGE, [layer, hostile], { Cmd: ['sh'], Env: env }),
    ];
  }

  private async writeArchive(name: string, ref: string, layers: Buffer[], config: object): Promise<string> {
    const configJson = JSON.stringify({
      architecture: hostPlatform().architecture,
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) },
    });
    const configName = `${sha256(configJson).slice(7)}.json`;
    const layerFiles = layers.map((_, i) => `layer${i}/layer.tar`);
    const manifest = [{ Config: configName, RepoTags: [ref], Layers: layerFiles }];
    const file = path.join(this.dir, name);
    const entries: TarFile[] = [{ name: configName, data: configJson }];
    layers.forEach((l, i) => entries.push({ name: `layer${i}/`, dir: true }, { name: layerFiles[i], data: l }));
    entries.push({ name: 'manifest.json', data: JSON.stringify(manifest) });
    fs.writeFileSync(file, await makeTar(entries));
    return file;
  }

  private writeConfig(): void {
    const d = this.dir;
    const cri = '[plugins."io.containerd.grpc.v1.cri"';
    const runtime = (name: string, binary: string) => [
      `${cri}.containerd.runtimes.${name}]`,
      '  runtime_type = "io.containerd.runc.v2"',
      `${cri}.containerd.runtimes.${name}.options]`,
      `  BinaryName = "${binary}"`,
      // The runtime's state root under our dir (its default is /run/containerd/runc).
      `  Root = "${d}/state-${name}"`,
    ];
    const lines = [
      'version = 2',
      `root = "${d}/root"`,
      `state = "${d}/state"`,
      `[grpc]\n  address = "${this.socket}"`,
      `[ttrpc]\n  address = "${this.socket}.ttrpc"`,
      '[debug]\n  address = ""',
      '[metrics]\n  address = ""',
      // The opt plugin would make /opt/containerd.
      `[plugins."io.containerd.internal.v1.opt"]\n  path = "${d}/opt"`,
      `${cri}]`,
      `  sandbox_image = "${PAUSE_IMAGE}"`,
      // This host lacks CAP_SYS_RESOURCE: no negative oom_score_adj (the sandbox's default is -998).
      '  restrict_oom_score_adj = true',
      '  disable_apparmor = true',
      // containerd 1.6 drops the kubelet's huge page limits unless told otherwise; where the hugetlb
      // controller is missing (this machine's v1) it still does, by tolerate_missing_hugetlb_controller.
      '  disable_hugetlb_controller = false',
      '  stream_server_address = "127.0.0.1"',
      '  stream_server_port = "0"',
      `${cri}.containerd]`,
      '  snapshotter = "overlayfs"',
      '  default_runtime_name = "runc"',
      ...runtime('runc', RUNC ?? '/usr/sbin/runc'),
      ...runtime('hako', HAKO_RUNTIME),
      `${cri}.cni]`,
      `  bin_dir = "${CNI_BIN}"`,
      `  conf_dir = "${d}/cni"`,
      '  max_conf_num = 1',
      '',
    ];
    fs.writeFileSync(path.join(d, 'config.toml'), lines.join('\n'));
  }

  /** A bridge network with host-local addresses (their records under our dir); no masquerade and no
   *  gateway on the host: the pods talk to each other and to themselves, nothing else is needed. */
  private writeCniConfig(): void {
    const conf = {
      cniVersion: '0.4.0',
      name: `hako-cri-${process.pid}`,
      plugins: [
        {
          type: 'bridge',
          bridge: this.bridge,
          isGateway: false,
          ipMasq: false,
          ipam: { type: 'host-local', ranges: [[{ subnet: this.subnet }]], dataDir: path.join(this.dir, 'ipam') },
        },
      ],
    };
    fs.mkdirSync(path.join(this.dir, 'cni'), { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'cni', '10-hako-cri.conflist'), JSON.stringify(conf, null, 2));
  }

  /** Removes every pod left, stops containerd and everything it made; returns what stayed behind. */
  async stop(): Promise<string[]> {
    if (this.client) await this.removeAllPods();
    this.client?.close();
    await this.stopDaemon();
    await this.waitShimsGone();
    return this.cleanHost();
  }

  private async removeAllPods(): Promise<void> {
    const list = await this.cri.call('ListPodSandbox', {}).catch(() => ({ items: [] }) as Message);
    for (const pod of list.items as Message[]) {
      await this.cri.call('StopPodSandbox', { pod_sandbox_id: pod.id }).catch(() => undefined);
      await this.cri.call('RemovePodSandbox', { pod_sandbox_id: pod.id }).catch(() => undefined);
    }
  }

  private async stopDaemon(): Promise<void> {
    const daemon = this.daemon;
    if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
    const exited = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  }

  /** The shims (one per pod) exit once their pod's containers are deleted. */
  private async waitShimsGone(): Promise<void> {
    for (let i = 0; i < 50 && this.shims().length > 0; i++) await sleep(100);
  }

  /** Our shims: containerd-shim-runc-v2 processes started with our socket as their -address. */
  shims(): number[] {
    const pids: number[] = [];
    for (const pid of listDir('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        if (argv[0]?.endsWith('containerd-shim-runc-v2') && argv.includes(this.socket)) pids.push(Number(pid));
      } catch {
        /* gone meanwhile */
      }
    }
    return pids;
  }

  private cleanHost(): string[] {
    const left: string[] = [];
    // Last resorts, each reported: our shims (by pid), then what the runtimes still hold.
    for (const pid of this.shims()) {
      left.push(`shim process ${pid}`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    left.push(...this.deleteLeftoverContainers());
    this.removeShimSockets();
    for (const m of mountsUnder(this.dir)) {
      left.push(`mount ${m}`);
      spawnSync('umount', ['-l', m]);
    }
    // Pods' network namespaces that appeared since the start and have containerd's names: ours.
    const netns = listDir('/run/netns').filter((n) => !this.before.netns.includes(n) && n.startsWith('cni-'));
    for (const n of netns) {
      left.push(`network namespace /run/netns/${n}`);
      spawnSync('umount', ['-l', `/run/netns/${n}`]);
      fs.rmSync(`/run/netns/${n}`, { force: true });
    }
    this.removeNetnsDir();
    left.push(...this.removeCgroups());
    left.push(...this.removeBridge());
    this.removeRunDir();
    fs.rmSync(this.dir, { recursive: true, force: true });
    return left;
  }

  /** A shim killed above leaves its socket in /run/containerd/s; each task's bundle names it. */
  private removeShimSockets(): void {
    const tasks = path.join(this.dir, 'state', 'io.containerd.runtime.v2.task', 'k8s.io');
    for (const id of listDir(tasks)) {
      try {
        const address = fs.readFileSync(path.join(tasks, id, 'address'), 'utf8').trim();
        if (address.startsWith('unix:///run/containerd/s/')) fs.rmSync(address.slice('unix://'.length), { force: true });
      } catch {
        /* no address file: no shim was started for it */
      }
    }
  }

  /** Containers a runtime still has in a handler's state root: deleted with --force, and reported. */
  private deleteLeftoverContainers(): string[] {
    const left: string[] = [];
    for (const handler of handlers()) {
      const root = path.dirname(this.stateDir(handler, 'x'));
      for (const id of listDir(root)) {
        left.push(`${handler} container ${id}`);
        spawnSync(handler === 'hako' ? HAKO_RUNTIME : RUNC!, ['--root', root, 'delete', '--force', id], { timeout: 30_000 });
      }
    }
    return left;
  }

  /** containerd makes /run/netns a shared bind mount of itself to pin pods' namespaces there; undo
   *  that when it was not there before and nothing else uses it now. */
  private removeNetnsDir(): void {
    if (this.before.netnsDir || listDir('/run/netns').length > 0) return;
    if (!this.before.netnsMounted && isMountPoint('/run/netns')) spawnSync('umount', ['/run/netns']);
    try {
      fs.rmdirSync('/run/netns');
    } catch {
      /* in use */
    }
  }

  /** The pods' parent cgroup in every hierarchy. containerd makes <parent>/<pod's cgroup parent>
   *  and keeps it; the pods' and containers' own cgroups beneath are the runtime's to remove. */
  private removeCgroups(): string[] {
    const left: string[] = [];
    for (const root of cgroupRoots()) {
      const dir = path.join(root, this.cgroupParent);
      if (!fs.existsSync(dir)) continue;
      for (const sub of walkDirs(dir).reverse()) {
        const depth = sub === dir ? 0 : path.relative(dir, sub).split('/').length;
        if (depth >= 2) left.push(`cgroup ${sub}`);
        try {
          fs.rmdirSync(sub);
        } catch {
          if (depth < 2) left.push(`cgroup ${sub} (busy)`);
        }
      }
    }
    return left;
  }

  /** The bridge plugin makes the bridge on the first pod and never removes it. */
  private removeBridge(): string[] {
    if (!fs.existsSync(`/sys/class/net/${this.bridge}`)) return [];
    const ports = listDir(`/sys/class/net/${this.bridge}/brif`);
    runNetlink([delLink(this.bridge)]);
    return ports.map((p) => `veth ${p} on the test bridge`);
  }

  /** containerd made /run/containerd for the shims' sockets: remove what is left of it, if ours. */
  private removeRunDir(): void {
    if (this.before.runContainerd) return;
    for (const d of ['s', 'fifo', 'runc/k8s.io', 'runc', ''])
      try {
        fs.rmdirSync(path.join('/run/containerd', d));
      } catch {
        /* not empty or absent */
      }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function mountPoints(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter(Boolean);
}

function isMountPoint(dir: string): boolean {
  const real = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
  return mountPoints().includes(real);
}

/** Mount points beneath `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return mountPoints()
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function cgroupRoots(): string[] {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup'];
  return listDir('/sys/fs/cgroup')
    .map((d) => `/sys/fs/cgroup/${d}`)
    .filter((d) => !fs.lstatSync(d).isSymbolicLink());
}

function walkDirs(dir: string): string[] {
  const out = [dir];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...walkDirs(path.join(dir, e.name)));
  return out;
}

/** Every file, directory and symlink under `root` as tar entries (paths relative to it). */
function treeFiles(root: string, rel = ''): TarFile[] {
  const out: TarFile[] = [];
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const name = rel ? `${rel}/${e.name}` : e.name;
    const full = path.join(root, name);
    if (e.isDirectory()) out.push({ name: `${name}/`, dir: true, mode: fs.statSync(full).mode & 0o7777 }, ...treeFiles(root, name));
    else if (e.isSymbolicLink()) out.push({ name, symlink: fs.readlinkSync(full) });
    else out.push({ name, data: fs.readFileSync(full), mode: fs.statSync(full).mode & 0o7777 });
  }
  return out;
}
