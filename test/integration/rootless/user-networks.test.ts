// Rootless user-defined networks and the shared user namespace: an ordinary user (made in the
// set-up, with subordinate ids) gets one user namespace for all its containers, held by
// `hako-init userns-pause` (src/engine/rootless-pause.ts), and a rootless network namespace in it
// where user networks' bridges live (src/engine/rootless-netns.ts). Checked as the user: names
// between containers on a network, `--network container:`, `-p` on a network reached from the host
// through the namespace's slirp4netns, the holder killed with -9, and nothing left after rm.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../engine/harness.js';
import { findTool } from '../../../src/network/index.js';
import { RootlessUser, rootlessUserSkip } from './rootless-user.js';
import { freePort, fetchLoopback } from '../../fixtures/ports.js';

const TUN = '/dev/net/tun';
const tunSkip = () => {
  try {
    fs.accessSync(TUN, fs.constants.R_OK | fs.constants.W_OK);
    return (fs.statSync(TUN).mode & 0o006) === 0o006 ? false : `${TUN} is not usable by ordinary users`;
  } catch {
    return `${TUN} is missing`;
  }
};
const skip =
  rootlessUserSkip() ||
  tunSkip() ||
  (!findTool('slirp4netns') && 'slirp4netns is not installed (rootless user networks use it)') ||
  (!fs.existsSync(path.join(REPO, 'dist', 'hako')) && 'dist/hako is not built (npm run build)');

let user: RootlessUser;
let HAKO = '';

before(() => {
  if (skip) return;
  user = RootlessUser.create('hkun');
  HAKO = user.installation(REPO).hako;
});
after(async () => {
  if (!user) return;
  const left = await user.lingering();
  user.remove();
  assert.deepEqual(left, [], 'the user has processes left');
});

describe('rootless: one user namespace, user networks, container: joins', { skip }, () => {
  const hako = (args: string[], leavesRunning = false) => user.run([HAKO, ...args], { leavesRunning });
  const ok = (args: string[], leavesRunning = false) => {
    const r = hako(args, leavesRunning);
    assert.equal(r.code, 0, `hako ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const runDir = () => path.join(user.runtimeDir, 'hako');
  const pausePid = () => Number(fs.readFileSync(path.join(runDir(), 'pause.pid'), 'utf8').split(' ')[0]);
  const userns = (pid: number) => fs.readlinkSync(`/proc/${pid}/ns/user`);
  const netns = (pid: number) => fs.readlinkSync(`/proc/${pid}/ns/net`);
  const pidOf = (name: string) => Number(ok(['inspect', '-f', '{{.State.Pid}}', name]));

  after(() => {
    if (!user) return;
    hako(['rm', '-f', 'a', 'web', 'side', 'late']);
    hako(['network', 'rm', 'un1']);
  });

  it('two containers on a user network reach each other by name; -p reaches one from the host', async () => {
    ok(['network', 'create', 'un1']);
    const port = await freePort();
    const web = ok(
      ['run', '-d', '--name', 'web', '--network', 'un1', '-p', `127.0.0.1:${port}:80`, 'hako.local/busybox', 'httpd', '-f', '-p', '80', '-h', '/etc'],
      true,
    );
    ok(['run', '-d', '--name', 'a', '--network', 'un1', 'hako.local/busybox', 'sleep', '1000'], true);
    // Both in the user's one namespace, the one its holder keeps.
    assert.equal(userns(pidOf('web')), userns(pidOf('a')));
    assert.equal(userns(pidOf('a')), userns(pausePid()));
    assert.equal(ok(['exec', 'a', 'wget', '-qO-', 'http://web/hostname']), web.slice(0, 12), 'a fetched from web by name');
    assert.match(ok(['exec', 'web', 'ping', '-c', '1', '-W', '3', 'a']), /1 packets received/, 'web reaches a by name');
    assert.equal((await fetchLoopback(port, 15_000, 'hostname')).trim(), web.slice(0, 12), 'the host reaches web through -p');
    // Stopped, its port is withdrawn from the namespace's tool; started again, published again.
    ok(['stop', '-t', '1', 'web']);
    ok(['start', 'web'], true);
    assert.equal((await fetchLoopback(port, 15_000, 'hostname')).trim(), web.slice(0, 12), 'the port again after stop and start');
    assert.equal(ok(['exec', 'a', 'wget', '-qO-', 'http://web/hostname']), web.slice(0, 12), 'its new address under its name');
    // The addresses are the network's, not the user-mode tool's.
    assert.match(ok(['inspect', '-f', '{{.NetworkSettings.Networks.un1.IPAddress}}', 'a']), /^10\.89\.\d+\.\d+$/);
  });

  it("--network container:NAME joins the other container's network namespace", () => {
    ok(['run', '-d', '--name', 'side', '--network', 'container:web', 'hako.local/busybox', 'sleep', '1000'], true);
    assert.equal(netns(pidOf('side')), netns(pidOf('web')));
    assert.match(ok(['exec', 'side', 'wget', '-qO-', 'http://127.0.0.1/hostname']), /^[0-9a-f]{12}$/, "web's httpd on side's loopback");
    const r = hako(['run', '--rm', '--userns=keep-id', '--network', 'container:web', 'hako.local/busybox', 'true']);
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, /not with --userns=keep-id/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('hako unshare: root in the shared namespace, the subordinate ids mapped', () => {
    const out = ok(['unshare', 'sh', '-c', 'id -u; cat /proc/self/uid_map']).split('\n');
    assert.equal(out[0], '0');
    assert.match(out[1].trim(), new RegExp(`^0\\s+${user.uid}\\s+1$`));
    assert.match(out[2].trim(), new RegExp(`^1\\s+${user.subidFirst}\\s+65536$`));
    assert.equal(hako(['unshare', 'sh', '-c', 'exit 7']).code, 7, "the command's status");
  });

  it('the holder killed with -9: the next container gets a new one and works, on the network too', async () => {
    const old = pausePid();
    process.kill(old, 'SIGKILL');
    ok(['run', '-d', '--name', 'late', '--network', 'un1', 'hako.local/busybox', 'sleep', '1000'], true);
    assert.notEqual(pausePid(), old, 'a new holder');
    assert.equal(userns(pidOf('late')), userns(pausePid()));
    assert.match(ok(['run', '--rm', '--network', 'un1', 'hako.local/busybox', 'ping', '-c', '1', '-W', '3', 'late']), /1 packets received/);
    assert.equal(ok(['run', '--rm', 'hako.local/busybox', 'id', '-u']), '0', 'the default network still works');
  });

  it('rm of everything: no process, no holder, no namespace tool, no files left', async () => {
    ok(['rm', '-f', 'a', 'web', 'side', 'late']);
    ok(['network', 'rm', 'un1']);
    assert.deepEqual(await user.lingering(), [], 'no process of the user left (holder, slirp4netns, conmon)');
    const left = fs.readdirSync(runDir()).filter((f) => f !== 'engine');
    assert.deepEqual(left, [], 'only the engine directory left in the runtime directory');
    assert.deepEqual(fs.readdirSync(path.join(runDir(), 'engine')), []);
    const store = path.join(user.home, '.local', 'share', 'hako');
    assert.deepEqual(fs.readdirSync(path.join(store, 'containers')), []);
  });
});
