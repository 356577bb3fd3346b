// `hako cp` (both ways), `hako export` and `COPY --from` as an ordinary user (issue 19): the
// container's files belong to the user's subordinate ids and its overlay is mounted only inside it,
// so the worker runs in the store's user namespace and reaches a running container's root through
// /proc/PID/root, a stopped one's through an overlay mounted in a mount namespace of its own. The
// container's paths still resolve inside its root: an absolute symlink or `..` in it never reaches
// the host, and nothing stays mounted afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../engine/harness.js';
import { RootlessUser, rootlessUserSkip } from './rootless-user.js';

const IMAGE = 'hako.local/busybox';
const skip = rootlessUserSkip() || (!fs.existsSync('/usr/bin/conmon') && 'needs /usr/bin/conmon (Debian conmon)');

let user: RootlessUser;
let HAKO = '';

before(() => {
  if (skip) return;
  user = RootlessUser.create('hkcp');
  HAKO = user.installation(REPO).hako;
});
after(async () => {
  if (!user) return;
  user.run([HAKO, 'rm', '-f', 'c1']);
  const left = await user.lingering();
  user.remove();
  assert.deepEqual(left, [], 'the user has processes left');
});

function hako(args: string[], opts: { input?: string; leavesRunning?: boolean } = {}) {
  return user.run([HAKO, ...args], { ...opts, timeout: 120_000 });
}
function ok(args: string[], opts: { input?: string; leavesRunning?: boolean } = {}): string {
  const r = hako(args, opts);
  assert.equal(r.code, 0, `hako ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
/** `sh -c SCRIPT` as the user in its home. */
function sh(script: string): string {
  const r = user.run(['/bin/sh', '-c', script]);
  assert.equal(r.code, 0, `${script}: ${r.stderr}`);
  return r.stdout;
}
/** Mounts of the user's store still on the host (there must never be any). */
const storeMounts = () =>
  fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(user.home));

/** Inside the container: a file of uid 1000 only it may read, a symlink out to the host's /etc, and
 *  a directory that is a symlink to the user's home on the host (all hostile when read outside). */
const SETUP = [
  'echo secret > /tmp/s && chown 1000:1000 /tmp/s && chmod 600 /tmp/s',
  'ln -s /etc /tmp/etc-link',
  'ln -s /home /tmp/home-link',
  'echo container-passwd > /etc/marker',
].join(' && ');

function checkCopies(state: 'running' | 'stopped'): void {
  sh('rm -rf out && mkdir out');
  // Out: a file of another id inside, readable by its owner only, keeps its owner with -a.
  ok(['cp', 'c1:/tmp/s', 'out/s']);
  assert.equal(sh('cat out/s'), 'secret\n');
  assert.equal(fs.statSync(path.join(user.home, 'out', 's')).uid, user.uid, 'without -a: the user owns the copy');
  ok(['cp', '-a', 'c1:/tmp/s', 'out/s-a']);
  assert.equal(fs.statSync(path.join(user.home, 'out', 's-a')).uid, user.subidFirst + 999, '-a: uid 1000 inside is that subordinate id');
  // A symlink to /etc resolves inside the container: its marker, not the host's files.
  ok(['cp', 'c1:/tmp/etc-link/marker', 'out/m']);
  assert.equal(sh('cat out/m'), 'container-passwd\n');
  // The user's own home exists on the host only: a link to it inside finds nothing.
  assert.ok(fs.existsSync(path.join(user.home, '.profile')));
  const hostile = hako(['cp', 'c1:/tmp/home-link/' + path.basename(user.home) + '/.profile', 'out/p']);
  assert.notEqual(hostile.code, 0, "the host's file is not reached through the link");
  assert.equal(fs.existsSync(path.join(user.home, 'out', 'p')), false);
  // In: through the symlink to /home, the file lands in the container's /home, not the host's.
  sh(`echo ${state} > in.txt`);
  ok(['cp', 'in.txt', 'c1:/tmp/home-link/']);
  assert.equal(fs.existsSync(path.join('/home', 'in.txt')), false, "the host's /home is untouched");
  // A tar stream both ways.
  const tar = spawnSync('tar', ['-c', '-C', path.join(user.home, 'out'), 'm'], { encoding: 'buffer' }).stdout;
  fs.writeFileSync(path.join(user.home, 'in.tar'), tar);
  sh(`"${HAKO}" cp - c1:/tmp < in.tar`);
  assert.match(sh(`"${HAKO}" cp c1:/tmp/m - | tar -t`), /^m$/m);
  assert.deepEqual(storeMounts(), [], `nothing mounted on the host (${state})`);
}

test('cp and export of a running and a stopped rootless container', { skip }, () => {
  ok(['run', '-d', '--name', 'c1', '--network', 'none', IMAGE, 'sh', '-c', `${SETUP} && exec sleep 1000`], { leavesRunning: true });
  for (let i = 0; i < 100 && hako(['exec', 'c1', 'test', '-e', '/etc/marker']).code !== 0; i++) spawnSync('sleep', ['0.1']);

  checkCopies('running');
  assert.equal(ok(['exec', 'c1', 'cat', '/home/in.txt']), 'running\n', 'the copy is in the running container, at once');
  // export: the container's files with their ids inside; /proc is listed, not its contents.
  const listing = sh(`"${HAKO}" export c1 | tar -tv`);
  assert.match(listing, /^-rw------- 1000\/1000 .* tmp\/s$/m);
  assert.match(listing, / proc\/$/m);
  assert.doesNotMatch(listing, / proc\/self/);

  ok(['stop', '-t', '1', 'c1']);
  checkCopies('stopped');
  assert.match(sh(`"${HAKO}" export c1 | tar -tv`), /home\/in\.txt$/m);
  ok(['start', 'c1'], { leavesRunning: true });
  assert.equal(ok(['exec', 'c1', 'cat', '/home/in.txt']), 'stopped\n', 'what cp wrote while stopped is there after start');
  ok(['rm', '-f', 'c1']);
  assert.deepEqual(storeMounts(), []);
});

test('cp of a rootless container: a missing path and a bad container are one line', { skip }, () => {
  ok(['create', '--name', 'c2', '--network', 'none', IMAGE, 'true']);
  const missing = hako(['cp', 'c2:/no/such', 'x']);
  assert.notEqual(missing.code, 0);
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
  const none = hako(['cp', 'nosuch:/etc', 'x']);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /^hako: .*nosuch/);
  ok(['rm', 'c2']);
  assert.deepEqual(storeMounts(), []);
});

test('COPY --from a stage and from an image in a rootless build', { skip }, () => {
  sh('rm -rf ctx && mkdir ctx');
  fs.writeFileSync(
    path.join(user.home, 'ctx', 'Dockerfile'),
    [
      `FROM ${IMAGE} AS a`,
      'RUN echo staged > /s && chown 1000:1000 /s && chmod 600 /s && ln -s /etc/shadow /evil && mkdir -p /usr/lib/app && echo inside > /usr/lib/app/f && ln -s usr/lib /lib2 && ln -s /etc /out && ln -s ../../.. /usr/up',
      `FROM ${IMAGE}`,
      'COPY --from=a /s /got',
      'COPY --from=a /evil /evil',
      `COPY --from=${IMAGE} /bin/busybox /bb2`,
      // Links among the source's parents resolve inside the stage's root, never on the host.
      'COPY --from=a /lib2/app/f /f',
      'COPY --from=a /out/hostname /h',
      'COPY --from=a /usr/up/etc/hostname /h2',
      'RUN cat /got && test -L /evil && test -x /bb2',
    ].join('\n'),
  );
  ok(['build', '-t', 'rlcopy', 'ctx']);
  assert.equal(ok(['run', '--rm', '--network', 'none', 'rlcopy', 'cat', '/got']), 'staged\n');
  assert.equal(ok(['run', '--rm', '--network', 'none', 'rlcopy', 'readlink', '/evil']), '/etc/shadow\n', 'a symlink is copied as one');
  const hostname = fs.readFileSync('/etc/hostname', 'utf8');
  const inStage = ok(['run', '--rm', '--network', 'none', 'rlcopy', 'cat', '/f', '/h', '/h2']);
  assert.equal(inStage, 'inside\nbusybox\nbusybox\n', "the stage's /etc/hostname, not the host's");
  assert.notEqual(hostname, 'busybox\n');
  ok(['rmi', 'rlcopy']);
  assert.deepEqual(storeMounts(), []);
});

test('cp of a stopped rootless container killed with -9 midway leaves nothing mounted or running', { skip }, async () => {
  ok(['run', '--name', 'c3', '--network', 'none', IMAGE, 'sh', '-c', 'dd if=/dev/zero of=/big bs=1M count=256 2>/dev/null']);
  const out = path.join(user.home, 'big-out');
  const cp = user.spawn([HAKO, 'cp', 'c3:/big', out]);
  const exited = new Promise((resolve) => cp.once('exit', resolve));
  // Killed once the copy has begun (its file appears), or at once if it is already done.
  for (const end = Date.now() + 10_000; !fs.existsSync(out) && cp.exitCode === null && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
  cp.kill('SIGKILL');
  await exited;
  // The worker (whose mount namespace held the overlay) ends with its stdin. The holder of the
  // user's shared namespace (src/engine/rootless-pause.ts) stays until a later command ends.
  const left = (await user.lingering()).filter((p) => !/ userns-pause$/.test(p.cmd));
  assert.deepEqual(left, [], 'no worker left');
  assert.deepEqual(storeMounts(), []);
  sh(`rm -f "${out}"`);
  ok(['cp', 'c3:/big', out]);
  assert.equal(fs.statSync(out).size, 256 << 20, 'a later copy works');
  sh(`rm -f "${out}"`);
  ok(['rm', 'c3']);
  assert.deepEqual(await user.lingering(), [], 'the holder ended with the last command');
});
