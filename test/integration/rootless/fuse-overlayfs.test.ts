// Rootless roots through fuse-overlayfs (issue 19), as podman's `mount_program`: asked for with
// HAKO_MOUNT_PROGRAM (this kernel mounts overlayfs in a user namespace itself). The daemon runs in
// the user's shared user namespace and its holder's mount namespace: nothing is mounted on the
// host, and rm (also after a kill -9 of the daemon) leaves no daemon and no holder running.
// /dev/fuse must be 0666 (Debian's udev default): the set-up makes it so when it is not (this VM
// has it 0600) and puts the mode back afterwards; one test checks the refusal with 0600.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { REPO } from '../engine/harness.js';
import { RootlessUser, rootlessUserSkip } from './rootless-user.js';

const IMAGE = 'hako.local/busybox';
const FUSE = ['/usr/bin/fuse-overlayfs', '/bin/fuse-overlayfs'].find((p) => fs.existsSync(p));
const skip =
  rootlessUserSkip() ||
  (!fs.existsSync('/usr/bin/conmon') && 'needs /usr/bin/conmon (Debian conmon)') ||
  (!FUSE && 'needs fuse-overlayfs (Debian fuse-overlayfs)') ||
  (!fs.existsSync('/dev/fuse') && 'needs /dev/fuse (the fuse module)');

let user: RootlessUser;
let HAKO = '';
let fuseMode = 0;

before(() => {
  if (skip) return;
  fuseMode = fs.statSync('/dev/fuse').mode & 0o777;
  fs.chmodSync('/dev/fuse', 0o666);
  user = RootlessUser.create('hkfuse');
  HAKO = user.installation(REPO).hako;
});
after(async () => {
  if (!user) return;
  fs.chmodSync('/dev/fuse', fuseMode);
  user.run([HAKO, 'rm', '-f', 'f1', 'f2', 'f3', 'f4']);
  const left = await user.lingering();
  user.remove();
  assert.deepEqual(left, [], 'the user has processes left');
});

const ENV = { HAKO_MOUNT_PROGRAM: 'fuse-overlayfs' };

function hako(args: string[], opts: { leavesRunning?: boolean } = {}) {
  return user.run([HAKO, ...args], { ...opts, env: ENV, timeout: 120_000 });
}
function ok(args: string[], opts: { leavesRunning?: boolean } = {}): string {
  const r = hako(args, opts);
  assert.equal(r.code, 0, `hako ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
const daemons = () => user.processes().filter((p) => p.cmd.startsWith(FUSE!) || p.cmd.startsWith('fuse-overlayfs'));
/** Mounts of the user's store on the host (there must never be any: they live in the holder). */
const hostMounts = () =>
  fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(user.home));

test('a rootless container on fuse-overlayfs: write, exec, stop/start, diff, commit, rm', { skip }, async () => {
  ok(
    [
      'run',
      '-d',
      '--name',
      'f1',
      '--network',
      'none',
      IMAGE,
      'sh',
      '-c',
      'echo kept > /data && rm -f /bin/true && rm -rf /usr && mkdir /usr && echo u > /usr/new && exec sleep 1000',
    ],
    { leavesRunning: true },
  );
  for (let i = 0; i < 100 && hako(['exec', 'f1', 'test', '-f', '/data']).code !== 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(daemons().length, 1, `one fuse-overlayfs daemon serves the root: ${JSON.stringify(user.processes())}`);
  assert.deepEqual(hostMounts(), [], 'nothing mounted on the host');
  assert.equal(ok(['exec', 'f1', 'cat', '/data']), 'kept\n');
  assert.match(ok(['exec', 'f1', 'cat', '/proc/self/mountinfo']).split('\n')[0]!, / fuse\.fuse-overlayfs /, 'the root is the fuse mount');
  ok(['stop', '-t', '1', 'f1']);
  for (let i = 0; i < 100 && daemons().length; i++) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(daemons(), [], 'stop takes the root down (start mounts it again)');
  ok(['start', 'f1'], { leavesRunning: true });
  assert.equal(ok(['exec', 'f1', 'cat', '/data']), 'kept\n', 'the write survives stop/start');
  assert.equal(daemons().length, 1, 'still one daemon after a restart');
  const diff = ok(['diff', 'f1']);
  assert.match(diff, /^A \/data$/m);
  assert.match(diff, /^D \/bin\/true$/m, "fuse-overlayfs's whiteout is read as a deletion");
  assert.match(diff, /^A \/usr\/new$/m, 'an opaque directory (user.fuseoverlayfs.opaque)');
  assert.doesNotMatch(diff, /\.wh\./, "fuse-overlayfs's own opaque markers are not changes");
  ok(['commit', 'f1', 'fusecommit']);
  const inside = ok(['run', '--rm', '--network', 'none', 'fusecommit', 'sh', '-c', 'cat /data; test -e /bin/true || echo gone; ls -A /usr']);
  assert.equal(inside, 'kept\ngone\nnew\n', 'the committed layer: the file, the deletion, the opaque /usr');
  ok(['rm', '-f', 'f1']);
  ok(['rmi', 'fusecommit']);
  assert.deepEqual(await user.lingering(), [], 'no daemon and no holder left');
  assert.deepEqual(hostMounts(), []);
});

test('build: RUN steps on fuse-overlayfs, their deletions and opaque directories in the layer', { skip }, async () => {
  const ctx = `${user.home}/fusectx`;
  fs.mkdirSync(ctx);
  fs.writeFileSync(
    `${ctx}/Dockerfile`,
    [
      `FROM ${IMAGE}`,
      // grep fails the build unless the step's root is the fuse mount.
      'RUN grep -q " / / .* fuse.fuse-overlayfs " /proc/self/mountinfo && echo built > /b && rm -rf /usr && mkdir /usr && echo u > /usr/u && rm /bin/true',
      'RUN cat /b /usr/u',
      '',
    ].join('\n'),
  );
  fs.chownSync(ctx, user.uid, user.gid);
  ok(['build', '-t', 'fusebuilt', ctx]);
  assert.equal(ok(['run', '--rm', '--network', 'none', 'fusebuilt', 'sh', '-c', 'cat /b; ls -A /usr; test -e /bin/true || echo gone']), 'built\nu\ngone\n');
  ok(['rmi', 'fusebuilt']);
  assert.deepEqual(await user.lingering(), [], 'no daemon and no holder left');
});

test('rm after a kill -9 of the fuse daemon leaves nothing running or mounted', { skip }, async () => {
  ok(['run', '-d', '--name', 'f2', '--network', 'none', IMAGE, 'sleep', '1000'], { leavesRunning: true });
  const [d] = daemons();
  assert.ok(d, 'a daemon runs');
  process.kill(d.pid, 'SIGKILL');
  ok(['rm', '-f', 'f2']);
  assert.deepEqual(await user.lingering(), [], 'no daemon, container or holder left');
  assert.deepEqual(hostMounts(), []);
  assert.equal(fs.readdirSync(`${user.home}/.local/share/hako/containers`).filter((e) => !e.startsWith('.')).length, 0);
});

test('the holder killed -9 under a running container: stop, start and rm still work', { skip }, async () => {
  ok(['run', '-d', '--name', 'f4', '--network', 'none', IMAGE, 'sh', '-c', 'echo x >> /log; exec sleep 1000'], { leavesRunning: true });
  const holder = user.processes().find((p) => p.cmd.endsWith('userns-pause'));
  assert.ok(holder, 'the holder runs');
  process.kill(holder.pid, 'SIGKILL');
  assert.equal(ok(['exec', 'f4', 'cat', '/log']), 'x\n', 'the root is still served');
  ok(['stop', '-t', '1', 'f4']);
  ok(['start', 'f4'], { leavesRunning: true });
  assert.equal(ok(['exec', 'f4', 'cat', '/log']), 'x\nx\n', 'mounted again in the new holder, with what was written');
  assert.equal(daemons().length, 1, `the old daemon ended: ${JSON.stringify(daemons())}`);
  ok(['rm', '-f', 'f4']);
  assert.deepEqual(await user.lingering(), [], 'no daemon, container or holder left');
  assert.deepEqual(hostMounts(), []);
});

test('a /dev/fuse the user cannot open is refused in one line naming it', { skip }, async () => {
  fs.chmodSync('/dev/fuse', 0o600);
  try {
    const r = hako(['run', '--rm', '--name', 'f3', '--network', 'none', IMAGE, 'true']);
    assert.equal(r.code, 125, r.stderr);
    assert.match(r.stderr, /^.*\/dev\/fuse: not readable and writable by uid \d+ \(mode 0600\)/m);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  } finally {
    fs.chmodSync('/dev/fuse', 0o666);
  }
  assert.deepEqual(await user.lingering(), [], 'nothing left running');
  assert.deepEqual(hostMounts(), []);
});
