// The engine's containers never get the host's /dev/null as stdio: `hako run` without -i gives the
// runtime Node's 'ignore' (the host's /dev/null) as stdin, conmon gives a detached container its
// /dev/null, and a caller may redirect anything from /dev/null. Container root (CAP_FOWNER,
// CAP_CHOWN by default) chmods and chowns its stdio through /proc/self/fd/0..2; the host's node must
// stay 0666 root:root. The runtime's part: test/integration/runtime/stdio-devnull.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EngineEnv, HAKO, IMAGE, isRoot, hasConmon, built } from './harness.js';
import { chmodStdio, guardHostDevices, OWN_DEV_NULL } from '../../fixtures/host-devices.js';

const skip = !isRoot ? 'needs root' : !hasConmon ? 'needs /usr/bin/conmon (Debian conmon)' : !built ? 'needs npm run build (dist/hako.cjs)' : false;
const hasScript = fs.existsSync('/usr/bin/script');
let env: EngineEnv;
let seq = 0;

before(() => {
  if (!skip) env = new EngineEnv();
});
after(() => {
  if (!env) return;
  const left = env.cleanup();
  assert.deepEqual(left, [], 'removing every container left things behind');
});

/** A fresh host directory the container sees as /out, for its report. */
function outDir(): string {
  const dir = path.join(env.root, `out-${++seq}`);
  fs.mkdirSync(dir);
  return dir;
}

/** `hako ARGS` with the host's /dev/null as stdin, stdout and stderr. */
function hakoOnDevNull(args: string[]): number | null {
  const fds = [fs.openSync('/dev/null', 'r'), fs.openSync('/dev/null', 'w'), fs.openSync('/dev/null', 'w')];
  try {
    return spawnSync(HAKO, ['--root', env.root, ...args], { stdio: fds, timeout: 60_000 }).status;
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

test("run --rm </dev/null: chmod and chown through /proc/self/fd/0..2 change the container's /dev/null, not the host's", { skip }, async () => {
  const out = outDir();
  await guardHostDevices(() => {
    assert.equal(hakoOnDevNull(['run', '--rm', '--network', 'none', '-v', `${out}:/out`, IMAGE, 'sh', '-c', chmodStdio('/out/report')]), 0);
  });
  // Without -t the engine relays stdout and stderr through pipes of its own: only stdin is a
  // /dev/null, and the container's.
  assert.match(fs.readFileSync(path.join(out, 'report'), 'utf8'), /^0 700 12:34 1:3\n1 700 12:34 0:0\n2 700 12:34 0:0\n$/);
});

test("run --rm without -i: the stdin the engine gives (Node's 'ignore', the host's /dev/null) is replaced", { skip }, async () => {
  const out = outDir();
  await guardHostDevices(() => {
    const r = env.hako(['run', '--rm', '--network', 'none', '-v', `${out}:/out`, IMAGE, 'sh', '-c', `${chmodStdio('/out/report')}; echo still-here`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'still-here\n', "stdout, the caller's pipe, is left alone");
  });
  assert.match(fs.readFileSync(path.join(out, 'report'), 'utf8'), /^0 700 12:34 1:3\n/);
});

test("run -d: the detached container's stdin (conmon's /dev/null) is its own", { skip }, async () => {
  const out = outDir();
  await guardHostDevices(() => {
    const id = env.ok(['run', '-d', '--network', 'none', '-v', `${out}:/out`, IMAGE, 'sh', '-c', chmodStdio('/out/report')]).trim();
    assert.equal(env.ok(['wait', id]).trim(), '0');
    env.ok(['rm', id]);
  });
  // stdout and stderr are conmon's pipes (chmod on a pipe changes nothing of the host's).
  assert.match(fs.readFileSync(path.join(out, 'report'), 'utf8'), /^0 700 12:34 1:3\n/);
});

test("exec: the exec'd process gets the container's /dev/null", { skip }, async () => {
  const out = outDir();
  const id = env.ok(['run', '-d', '--network', 'none', '-v', `${out}:/out`, IMAGE, 'sleep', '1000']).trim();
  try {
    await guardHostDevices(() => {
      assert.equal(hakoOnDevNull(['exec', id, 'sh', '-c', chmodStdio('/out/report')]), 0);
    });
    assert.equal(fs.readFileSync(path.join(out, 'report'), 'utf8'), OWN_DEV_NULL);
  } finally {
    env.ok(['rm', '-f', id]);
  }
});

// `script` gives the CLI a real terminal; the container's stdio is then a pty of its own devpts,
// and the host's terminal (script's pty) must come through as unchanged as /dev/null.
test("run -it and exec -it: chmod changes the container's own pty, not the host's terminal", {
  skip: skip || (!hasScript && 'needs script (util-linux)'),
}, async () => {
  const out = outDir();
  const inContainer = `${chmodStdio('/out/report')}; stat -c %d /dev/pts >&3`;
  // The host terminal's mode and owner before and after, from the shell that runs hako in it.
  const viaPty = (cmd: string) =>
    spawnSync('script', ['-qec', `t=$(tty); stat -c '%a %u:%g' $t > ${out}/before; ${cmd}; stat -c '%a %u:%g' $t > ${out}/after`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  const check = (what: string) => {
    const lines = fs.readFileSync(path.join(out, 'report'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 4, `${what}: ${lines.join(' | ')}`);
    for (const [n, line] of lines.slice(0, 3).entries())
      assert.match(line, new RegExp(`^${n} 700 12:34 88:[0-9a-f]+$`), `${what}: fd ${n} is a pty (major 136)`);
    assert.notEqual(Number(lines[3]), fs.statSync('/dev/pts').dev, `${what}: the pty is from the container's own devpts`);
    assert.equal(
      fs.readFileSync(path.join(out, 'after'), 'utf8'),
      fs.readFileSync(path.join(out, 'before'), 'utf8'),
      `${what}: the host's terminal is unchanged`,
    );
  };
  await guardHostDevices(() => {
    const r = viaPty(`${HAKO} --root ${env.root} run -it --rm --network none -v ${out}:/out ${IMAGE} sh -c '${inContainer}'`);
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });
  check('run -it');
  const id = env.ok(['run', '-dit', '--network', 'none', '-v', `${out}:/out`, IMAGE, 'sh']).trim();
  try {
    fs.rmSync(path.join(out, 'report'));
    await guardHostDevices(() => {
      const r = viaPty(`${HAKO} --root ${env.root} exec -it ${id} sh -c '${inContainer}'`);
      assert.equal(r.status, 0, r.stdout + r.stderr);
    });
    check('exec -it');
  } finally {
    env.ok(['rm', '-f', id]);
  }
});
