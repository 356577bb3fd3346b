// Rootless networking: an ordinary user (made in the set-up, with subordinate ids) gets a network
// namespace of its container's own with a tap device from pasta or slirp4netns, and published ports
// on the host's loopback. The driver level (src/network/driver/usermode.ts, run as the user against a
// `hako runtime` rootless container) is checked for both tools; the engine level (`hako run -p`) in
// the describe below it. The tests talk only to the host's loopback and to the containers' own
// namespaces (no outbound traffic leaves the machine: outbound is checked as the route and device the
// tool configured).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPO } from '../engine/harness.js';
import { makeBusyboxRootfs } from '../../fixtures/busybox.js';
import { defaultSpec } from '../../../src/oci/default.js';
import { findTool, type UserModeTool } from '../../../src/network/index.js';
import { RootlessUser, rootlessUserSkip } from './rootless-user.js';

const HAKO = path.join(REPO, 'dist', 'hako');
const DRIVER = path.join(REPO, 'build', 'test', 'integration', 'rootless', 'usermode-net.js');
const TUN = '/dev/net/tun';

function tunSkip(): string | false {
  try {
    fs.accessSync(TUN, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    return `${TUN} is missing`;
  }
  // udev's default (50-udev-default.rules) is 0666: the user-mode tools open it as the user.
  if ((fs.statSync(TUN).mode & 0o006) !== 0o006)
    return `${TUN} is not usable by ordinary users (mode ${(fs.statSync(TUN).mode & 0o777).toString(8)}; udev makes it 0666; scripts/install-deps.sh does too)`;
  return false;
}

const skip = rootlessUserSkip() || tunSkip() || (!fs.existsSync(HAKO) && 'dist/hako is not built (npm run build)');

/** A port the kernel calls free on 127.0.0.1 now. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** GET http://127.0.0.1:PORT/ with plain sockets; retried while the server comes up. */
async function fetchLoopback(port: number, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) });
      return await r.text();
    } catch (e) {
      if (Date.now() > end) throw new Error(`http://127.0.0.1:${port}/: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('rootless user-mode networking: the driver, as the user, on a hako runtime container', { skip }, () => {
  let user: RootlessUser;
  let dir: string;

  before(() => {
    user = RootlessUser.create('hkrn');
    dir = fs.mkdtempSync(path.join(user.home, 'net-'));
    fs.chownSync(dir, user.uid, user.gid);
  });
  after(async () => {
    if (!user) return;
    const left = await user.lingering();
    user.remove();
    assert.deepEqual(left, [], 'the user has processes left');
  });

  const runtime = (args: string[]) => user.run([HAKO, 'runtime', ...args], { leavesRunning: args[0] === 'create' || args[0] === 'start' });

  /** A rootless bundle with a network namespace of its own, serving `text` on port 80. */
  function httpdBundle(name: string, text: string): string {
    const b = path.join(dir, name);
    fs.mkdirSync(b);
    makeBusyboxRootfs(path.join(b, 'rootfs'));
    const spec = defaultSpec({ rootless: true, uid: user.uid, gid: user.gid });
    spec.linux!.namespaces!.push({ type: 'network' });
    spec.root!.readonly = false;
    spec.process!.terminal = false;
    spec.process!.args = ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(spec));
    spawnChown(b);
    return b;
  }

  function spawnChown(p: string): void {
    fs.lchownSync(p, user.uid, user.gid);
    if (fs.lstatSync(p).isDirectory()) for (const e of fs.readdirSync(p)) spawnChown(path.join(p, e));
  }

  for (const tool of ['pasta', 'slirp4netns'] as UserModeTool[]) {
    it(`${tool}: configures the namespace, publishes 127.0.0.1:PORT to the container's port 80, stops`, async (t) => {
      if (!findTool(tool)) return t.skip(`${tool} is not installed (scripts/install-deps.sh)`);
      const id = `net-${tool}`;
      const b = httpdBundle(id, `hello-from-${tool}`);
      const pidFile = path.join(b, 'pid');
      const created = runtime(['create', '--bundle', b, '--pid-file', pidFile, id]);
      assert.equal(created.code, 0, created.stderr);
      const port = await freePort();
      try {
        const pid = fs.readFileSync(pidFile, 'utf8').trim();
        const ports = JSON.stringify([{ hostIP: '127.0.0.1', hostPort: port, containerPort: 80, protocol: 'tcp' }]);
        const started = user.run([process.execPath, DRIVER, 'start', tool, pid, b, ports], { leavesRunning: true });
        assert.equal(started.code, 0, started.stderr);
        const unet = JSON.parse(started.stdout) as { pid: number; startTime: string; tool: string };
        assert.equal(unet.tool, tool);
        assert.equal(fs.statSync(`/proc/${unet.pid}`).uid, user.uid, 'the tool runs as the user');
        assert.equal(runtime(['start', id]).code, 0);
        assert.equal((await fetchLoopback(port)).trim(), `hello-from-${tool}`);
        // Inside: a device besides lo, up, with an address and the default route through it.
        const inside = runtime(['exec', id, 'sh', '-c', 'ip -o -4 addr show; ip route']);
        assert.equal(inside.code, 0, inside.stderr);
        assert.match(inside.stdout, /^\d+: (eth0|tap0)\s+inet \d+\.\d+\.\d+\.\d+\/\d+/m);
        assert.match(inside.stdout, /^default via \d+\.\d+\.\d+\.\d+ dev (eth0|tap0)/m);
        assert.equal(user.run([process.execPath, DRIVER, 'stop', String(unet.pid), unet.startTime]).code, 0);
        await waitGone(unet.pid);
        await assert.rejects(fetchLoopback(port, 500), 'the port is closed once the tool is stopped');
      } finally {
        runtime(['delete', '--force', id]);
      }
    });
  }

  it('a host port already taken: one line from the tool, nothing left running', async (t) => {
    const tool = findTool('pasta') ? 'pasta' : findTool('slirp4netns') ? 'slirp4netns' : undefined;
    if (!tool) return t.skip('neither pasta nor slirp4netns is installed');
    const id = 'net-busy';
    const b = httpdBundle(id, 'busy');
    const pidFile = path.join(b, 'pid');
    assert.equal(runtime(['create', '--bundle', b, '--pid-file', pidFile, id]).code, 0);
    const holder = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const ports = JSON.stringify([{ hostIP: '127.0.0.1', hostPort: port, containerPort: 80, protocol: 'tcp' }]);
      const before = user.processes().length;
      const r = user.run([process.execPath, DRIVER, 'start', tool, fs.readFileSync(pidFile, 'utf8').trim(), b, ports], { leavesRunning: true });
      assert.notEqual(r.code, 0);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^${tool}: `));
      assert.equal(user.processes().length, before, 'the tool is not left running');
    } finally {
      holder.close();
      runtime(['delete', '--force', id]);
    }
  });

  it('sctp, an unknown tool, a namespace that is gone: one line each', () => {
    const ns = JSON.stringify([{ hostIP: '', hostPort: 1, containerPort: 1, protocol: 'sctp' }]);
    const cases: [string[], RegExp][] = [
      [['start', 'pasta', '1', dir, ns], /rootless networking forwards tcp and udp only/],
      [['start', 'vde', '1', dir, '[]'], /rootless network "vde": unknown \(pasta or slirp4netns\)/],
      [['start', '', '999999999', dir, '[]'], /namespace \/proc\/999999999\/ns\/\w+ is gone/],
    ];
    for (const [args, want] of cases) {
      const r = user.run([process.execPath, DRIVER, ...args]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, want);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

async function waitGone(pid: number): Promise<void> {
  const end = Date.now() + 10_000;
  while (fs.existsSync(`/proc/${pid}`)) {
    if (Date.now() > end) throw new Error(`pid ${pid} still runs`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
