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
import { freePort, fetchLoopback } from '../../fixtures/ports.js';

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

const skip = rootlessUserSkip() || tunSkip() || (!fs.existsSync(path.join(REPO, 'dist', 'hako')) && 'dist/hako is not built (npm run build)');
const anyTool = findTool('pasta') ? 'pasta' : findTool('slirp4netns') ? 'slirp4netns' : undefined;

let user: RootlessUser;
/** hako and the driver script as the user runs them. */
let HAKO = '';
let DRIVER = '';

before(() => {
  if (skip) return;
  user = RootlessUser.create('hkrn');
  const inst = user.installation(REPO);
  HAKO = inst.hako;
  DRIVER = path.join(inst.build, 'test', 'integration', 'rootless', 'usermode-net.js');
});
after(async () => {
  if (!user) return;
  const left = await user.lingering();
  user.remove();
  assert.deepEqual(left, [], 'the user has processes left');
});

describe('rootless user-mode networking: the driver, as the user, on a hako runtime container', { skip }, () => {
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(user.home, 'net-'));
    fs.chownSync(dir, user.uid, user.gid);
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
    const tool = anyTool;
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

describe('rootless engine networking: hako run as the user', { skip: skip || (!anyTool && 'neither pasta nor slirp4netns is installed') }, () => {
  const hako = (args: string[], leavesRunning = false) => user.run([HAKO, ...args], { leavesRunning });
  const ok = (args: string[], leavesRunning = false) => {
    const r = hako(args, leavesRunning);
    assert.equal(r.code, 0, `hako ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const userNetDir = () => path.join(user.home, '.local', 'share', 'hako', 'usernet');
  const toolsRunning = () => user.processes().filter((p) => /pasta|passt|slirp4netns/.test(p.cmd));

  after(async () => {
    if (!user) return;
    hako(['rm', '-f', 'web', 'web2', 'busy']);
  });

  it('run -d -p 127.0.0.1:PORT:80: busybox httpd fetched from the host; rm stops the tool and closes the port', async () => {
    const port = await freePort();
    const id = ok(['run', '-d', '--name', 'web', '-p', `127.0.0.1:${port}:80`, 'hako.local/busybox', 'httpd', '-f', '-p', '80', '-h', '/etc'], true);
    assert.equal((await fetchLoopback(port, 15_000, 'hostname')).trim(), id.slice(0, 12), "the page is the container's /etc/hostname");
    assert.equal(ok(['port', 'web', '80']), `127.0.0.1:${port}`);
    assert.equal(toolsRunning().length, 1, 'one network tool for the container');
    // Inside: the tool's device with the default route (outbound goes through it).
    assert.match(ok(['exec', 'web', 'ip', 'route']), /^default via \S+ dev \w+/m);
    ok(['rm', '-f', 'web']);
    await user.lingering(); // the tool exits on SIGTERM
    assert.deepEqual(toolsRunning(), []);
    await assert.rejects(fetchLoopback(port, 500));
    assert.ok(!fs.existsSync(userNetDir()), "nothing left in the store's usernet/");
  });

  it('--network slirp4netns, -p PORT:80 on every host address, reached on loopback; a random port with -p 80', async (t) => {
    if (!findTool('slirp4netns')) return t.skip('slirp4netns is not installed');
    const port = await freePort();
    ok(
      [
        'run',
        '-d',
        '--name',
        'web2',
        '--network',
        'slirp4netns',
        '-p',
        `${port}:80`,
        '-p',
        '80',
        'hako.local/busybox',
        'httpd',
        '-f',
        '-p',
        '80',
        '-h',
        '/etc',
      ],
      true,
    );
    assert.match(await fetchLoopback(port, 15_000, 'hostname'), /^[0-9a-f]{12}$/m);
    const random = ok(['port', 'web2', '80'])
      .split('\n')
      .find((l) => !l.endsWith(`:${port}`));
    assert.ok(random, 'a second, random, host port');
    assert.match(await fetchLoopback(Number(random.split(':').pop()), 15_000, 'hostname'), /^[0-9a-f]{12}$/m);
    assert.match(ok(['exec', 'web2', 'cat', '/etc/resolv.conf']), /^nameserver 10\.0\.2\.3$/m, "slirp4netns's DNS forwarder");
    ok(['rm', '-f', 'web2']);
    await user.lingering();
    assert.deepEqual(toolsRunning(), []);
  });

  it('run --rm in the foreground and with -i: the network is there before the process runs', () => {
    assert.match(ok(['run', '--rm', 'hako.local/busybox', 'ip', 'route']), /^default via /m);
    const r = user.run([HAKO, 'run', '--rm', '-i', 'hako.local/busybox', 'sh'], { input: 'ip route\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^default via /m);
    assert.equal(ok(['run', '--rm', '--network', 'none', 'hako.local/busybox', 'sh', '-c', 'ls /sys/class/net']), 'lo');
  });

  it('refused in one line: a taken host port, a network that does not exist, sctp, an unknown tool', async () => {
    const holder = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const cases: [string[], RegExp][] = [
        [['run', '--rm', '-p', `127.0.0.1:${port}:80`, 'hako.local/busybox', 'true'], new RegExp(`${port}`)],
        [['run', '--rm', '--network', 'mynet', 'hako.local/busybox', 'true'], /--network mynet: network not found/],
        [['run', '--rm', '-p', '9999:80/sctp', 'hako.local/busybox', 'true'], /rootless networking forwards tcp and udp only/],
      ];
      for (const [args, want] of cases) {
        const r = hako(args);
        assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, want);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      }
    } finally {
      holder.close();
    }
    assert.equal(ok(['ps', '-aq']), '', 'no container left');
    assert.deepEqual(toolsRunning(), []);
  });

  it('the tool killed -9 midway: the container runs on, rm still cleans up', async () => {
    const port = await freePort();
    ok(['run', '-d', '--name', 'busy', '-p', `127.0.0.1:${port}:80`, 'hako.local/busybox', 'httpd', '-f', '-p', '80', '-h', '/etc'], true);
    await fetchLoopback(port);
    for (const p of toolsRunning()) process.kill(p.pid, 'SIGKILL');
    await user.lingering(2000);
    await assert.rejects(fetchLoopback(port, 500));
    assert.match(ok(['inspect', '-f', '{{.State.Status}}', 'busy']), /running/);
    ok(['rm', '-f', 'busy']);
    assert.ok(!fs.existsSync(userNetDir()));
  });
});
