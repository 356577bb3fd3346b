// The engine end to end, as root: the `hako` CLI against a temp root with the built-in busybox image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv, writeRootfsTarball } from './harness.js';
import { ptyUnavailable, runOnPty } from '../../fixtures/pty.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => { env = e; });

test('run --rm prints the output and leaves no container', { skip }, () => {
  const r = env.hako(['run', '--rm', IMAGE, 'echo', 'hi']);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'hi\n');
  assert.equal(r.code, 0);
  assert.equal(env.ok(['ps', '-aq']), '');
});

test('the container starts with no signal ignored or blocked (conmon ignores SIGPIPE): yes | head ends', { skip }, () => {
  const r = env.hako(['run', '--rm', IMAGE, 'sh', '-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status; yes | head -c 5 | wc -c'], { timeout: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n5\n');
});

test('output a slow reader takes in is complete when hako exits (stdout is an asynchronous pipe)', { skip }, () => {
  const id = env.ok(['run', '-d', IMAGE, 'sh', '-c', 'yes 0123456789abcdef | head -c 300000']).trim();
  assert.ok(env.hako(['wait', id]).code === 0);
  // The reader starts late: hako has long written all it could into the 64 KiB pipe by then.
  const r = spawnSync('sh', ['-c', `"$0" --root "$1" logs "$2" | (sleep 0.3; wc -c)`, HAKO, env.root, id], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), '300000');
  env.ok(['rm', id]);
});

test('the exit status passes through; ps -a shows it', { skip }, () => {
  const r = env.hako(['run', '--name', 'three', IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const rows = env.ok(['ps', '-a', '--format', 'json']).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const row = rows.find((x) => x.Names === 'three');
  assert.ok(row, 'ps -a lists the exited container');
  assert.equal(row.State, 'exited');
  assert.match(row.Status, /^Exited \(3\) /);
  assert.equal(env.ok(['ps', '--format', '{{.Names}}']).includes('three'), false, 'ps without -a shows running ones only');
  assert.match(env.ok(['ps', '-a']), /Exited \(3\)/);
  env.ok(['rm', 'three']);
});

test('unknown flags and unknown networks fail with one line and create nothing', { skip }, () => {
  const bad = env.hako(['run', '--no-such-flag', IMAGE, 'true']);
  assert.equal(bad.code, 125, 'a bad flag: the engine failed (docker: 125)');
  assert.equal(bad.stderr, 'hako: run: unknown flag: --no-such-flag\n');
  const net = env.hako(['run', '--network', 'no-such-net', IMAGE, 'true']);
  assert.equal(net.code, 125);
  assert.equal(net.stderr, 'hako: --network no-such-net: network not found (see hako network ls)\n');
  const img = env.hako(['run', '--rm', 'hako.local/nothing:here', 'true']);
  assert.notEqual(img.code, 0);
  assert.equal(env.ok(['ps', '-aq']), '');
});

test('run -d, logs -f until exit, stop, rm', { skip }, async () => {
  const id = env.ok(['run', '-d', '--name', 'talker', IMAGE, 'sh', '-c', 'echo one; echo two >&2; sleep 1; echo three']).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const logs = env.hako(['logs', '-f', 'talker']);
  assert.equal(logs.code, 0);
  assert.equal(logs.stdout, 'one\nthree\n');
  assert.equal(logs.stderr, 'two\n');
  assert.equal(env.inspect('talker').State.Status, 'exited');
  assert.equal(env.ok(['logs', '--tail', '1', 'talker']), 'three\n');
  // docker's RFC 3339 with nanoseconds, in UTC written Z (conmon writes +00:00).
  assert.match(env.ok(['logs', '-t', 'talker']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z one\n/);

  const sleeper = env.ok(['run', '-d', IMAGE, 'sh', '-c', "trap 'exit 7' TERM; while :; do sleep 0.1; done"]).trim();
  assert.equal(env.inspect(sleeper).State.Status, 'running');
  assert.ok(env.ok(['top', sleeper.slice(0, 12)]).includes('while'), 'top lists the container process');
  env.ok(['stop', '-t', '20', sleeper.slice(0, 12)]);
  const st = env.inspect(sleeper).State;
  assert.equal(st.Status, 'exited');
  assert.equal(st.ExitCode, 7, 'SIGTERM reached the trap');
  assert.equal(env.ok(['wait', sleeper]), '7\n');
  env.ok(['rm', 'talker', sleeper]);
  assert.equal(env.ok(['ps', '-aq']), '');
});

test('exec into a detached container: env, user, workdir, exit status', { skip }, async () => {
  const id = env.ok(['run', '-d', '--name', 'box', IMAGE, 'sleep', '1000']).trim();
  assert.equal(env.ok(['exec', 'box', 'hostname']), `${id.slice(0, 12)}\n`);
  assert.equal(env.ok(['exec', '-e', 'X=42', 'box', 'sh', '-c', 'echo $X']), '42\n');
  assert.equal(env.ok(['exec', '-u', 'nobody', 'box', 'id', '-u']), '65534\n');
  assert.equal(env.ok(['exec', '-w', '/tmp', 'box', 'pwd']), '/tmp\n');
  assert.equal(env.ok(['exec', '-i', 'box', 'cat'], { input: 'piped\n' }), 'piped\n');
  assert.equal(env.hako(['exec', 'box', 'sh', '-c', 'exit 4']).code, 4);
  // The exec'd process is in the container's PID namespace: sleep is pid 1 there.
  assert.match(env.ok(['exec', 'box', 'cat', '/proc/1/cmdline']), /^sleep\x001000\x00$/);
  env.ok(['rm', '-f', 'box']);
});

test('a removed container leaves no process behind', { skip }, async () => {
  const id = env.ok(['run', '-d', IMAGE, 'sleep', '1000']).trim();
  const pid = env.inspect(id).State.Pid;
  assert.ok(pid > 0 && fs.existsSync(`/proc/${pid}`));
  assert.equal(env.hako(['rm', id]).code, 1, 'rm without -f refuses a running container');
  env.ok(['rm', '-f', id]);
  const gone = (() => { try { return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z'; } catch { return true; } })();
  assert.ok(gone, 'the container process is gone');
  assert.deepEqual(env.processesUsingRoot().filter((p) => p.includes(id)), []);
});

test('bind mounts and named volumes keep data across containers', { skip }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-bind-'));
  try {
    env.ok(['run', '--rm', '-v', `${dir}:/host`, IMAGE, 'sh', '-c', 'echo from-container > /host/f']);
    assert.equal(fs.readFileSync(path.join(dir, 'f'), 'utf8'), 'from-container\n');
    assert.notEqual(env.hako(['run', '--rm', '-v', `${dir}:/host:ro`, IMAGE, 'sh', '-c', 'echo x > /host/g']).code, 0, 'ro bind is read-only');
    env.ok(['run', '--rm', '-v', 'keep:/data', IMAGE, 'sh', '-c', 'echo persisted > /data/v']);
    assert.equal(env.ok(['run', '--rm', '--mount', 'type=volume,source=keep,target=/other', IMAGE, 'cat', '/other/v']), 'persisted\n');
    assert.equal(env.ok(['run', '--rm', '--tmpfs', '/scratch', IMAGE, 'sh', '-c', 'grep " /scratch " /proc/mounts | cut -d" " -f3']), 'tmpfs\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(env.root, 'volumes', 'keep'), { recursive: true, force: true });
  }
});

test('--restart on-failure:2 restarts twice, then stays exited with the code', { skip }, async () => {
  const id = env.ok(['run', '-d', '--restart', 'on-failure:2', IMAGE, 'sh', '-c', 'echo run; exit 5']).trim();
  await env.until('two restarts and a final exit', () => {
    const s = env.inspect(id);
    return s.RestartCount === 2 && s.State.Status === 'exited';
  });
  // The last exit command must decide not to restart: wait until no monitor of this container is left.
  await env.until('the monitor to finish', () => env.processesUsingRoot().every((p) => !p.includes(id)));
  const s = env.inspect(id);
  assert.equal(s.State.Status, 'exited');
  assert.equal(s.State.ExitCode, 5);
  assert.equal(s.RestartCount, 2);
  assert.equal(env.ok(['logs', id]), 'run\nrun\nrun\n');
  env.ok(['rm', id]);
});

test('--read-only and --cap-drop ALL are visible inside', { skip }, () => {
  const r = env.hako(['run', '--rm', '--read-only', '--cap-drop', 'ALL', IMAGE, 'sh', '-c', 'grep -E "^Cap(Eff|Bnd)" /proc/self/status; touch /x 2>&1; echo rc=$?']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /CapEff:\s+0000000000000000\n/);
  assert.match(r.stdout, /CapBnd:\s+0000000000000000\n/);
  assert.match(r.stdout, /Read-only file system\nrc=1\n$/);
  const d = env.ok(['run', '--rm', IMAGE, 'sh', '-c', 'grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status']);
  assert.match(d, /CapBnd:\s+00000000a80425fb\n/, "docker's default capability set");
  assert.match(d, /NoNewPrivs:\s+0\n/);
  assert.match(d, /Seccomp:\s+2\n/, 'the default seccomp profile is on');
  assert.match(env.ok(['run', '--rm', '--security-opt', 'no-new-privileges', IMAGE, 'grep', 'NoNewPrivs', '/proc/self/status']), /NoNewPrivs:\s+1/);
  assert.match(env.ok(['run', '--rm', '--security-opt', 'seccomp=unconfined', IMAGE, 'grep', '^Seccomp:', '/proc/self/status']), /Seccomp:\s+0/);
});

test('--init runs catatonit as pid 1 when installed', { skip: skip || (!fs.existsSync('/usr/bin/catatonit') && 'needs /usr/bin/catatonit') }, () => {
  const out = env.ok(['run', '--rm', '--init', IMAGE, 'cat', '/proc/1/cmdline']);
  assert.equal(out.split('\0')[0], '/run/hako-init');
});

test('state survives a lost monitor: the container shows exited and starts again', { skip }, async () => {
  const id = env.ok(['run', '-d', '--name', 'phoenix', IMAGE, 'sh', '-c', 'echo started; exec sleep 1000']).trim();
  const pid = env.inspect(id).State.Pid;
  // Simulate a host crash: the container and its conmon die without any bookkeeping.
  const conmon = Number(fs.readFileSync(path.join(env.root, 'containers', id, 'conmon.pid'), 'utf8'));
  process.kill(conmon, 'SIGKILL');
  process.kill(pid, 'SIGKILL');
  await env.until('the container to show as exited', () => env.inspect(id).State.Status === 'exited');
  env.ok(['start', 'phoenix']);
  assert.equal(env.inspect(id).State.Status, 'running');
  await env.until('the second start to log', () => env.ok(['logs', id]) === 'started\nstarted\n');
  env.ok(['stop', '-t', '0', 'phoenix']);
  assert.equal(env.inspect(id).State.Status, 'exited');
  env.ok(['rm', 'phoenix']);
});

test('images lists the built-in image; rmi refuses an image in use', { skip }, () => {
  assert.match(env.ok(['images']), /hako\.local\/busybox\s+latest\s+[0-9a-f]{12}/);
  const id = env.ok(['create', '--name', 'user', IMAGE, 'true']).trim();
  const r = env.hako(['rmi', IMAGE]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /in use by a container/);
  assert.equal(env.inspect(id).State.Status, 'created');
  env.ok(['rm', id]);
});

// The CLI runs as the foreground job of a real pty (test/fixtures/pty.ts), sized 30x90 first, so
// -it is tested the way a user sees it. Not `script`: with its stdin at EOF it types ^D into the
// terminal at once, which `hako` turns raw and relays, so a stray "^@" echo lands in the output.
// The size is asked for first thing: the pty must have it before the process runs.
test('run -it and exec -it get a real terminal with the caller\'s window size', { skip: skip || (ptyUnavailable() ?? false) }, () => {
  const sized = (args: string[]) => runOnPty(['sh', '-c', 'stty rows 30 cols 90 && exec "$@"', 'sh', HAKO, '--root', env.root, ...args], [], 60);
  const r = sized(['run', '-it', '--rm', IMAGE, 'sh', '-c', 'tty; stty size; exit 4']);
  assert.equal(r.status, 4, r.output);
  assert.match(r.output, /^\/dev\/pts\/\d+\r?\n30 90\r?\n$/, JSON.stringify(r.output));
  const id = env.ok(['run', '-dit', IMAGE, 'sh']).trim();
  try {
    const e = sized(['exec', '-it', id, 'sh', '-c', 'tty; stty size']);
    assert.equal(e.status, 0, e.output);
    assert.match(e.output, /^\/dev\/pts\/\d+\r?\n30 90\r?\n$/, JSON.stringify(e.output));
  } finally {
    env.ok(['rm', '-f', id]);
  }
});

test('save, load and import move images without a registry', { skip }, () => {
  const out = path.join(env.root, 'saved.tar');
  let r = env.hako(['save', '-o', out, 'hako.local/busybox']);
  assert.equal(r.code, 0, r.stderr);
  const other = new EngineEnv();
  try {
    r = other.hako(['rmi', 'hako.local/busybox']);
    assert.equal(r.code, 0, r.stderr);
    r = other.hako(['load', '-i', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Loaded image: hako\.local\/busybox:latest$/m);
    assert.equal(other.hako(['run', '--rm', '--network', 'none', 'hako.local/busybox', 'echo', 'loaded']).stdout, 'loaded\n');
    // import: a plain rootfs tarball, as `docker export` makes, from the loaded image's layer.
    const rootfsTar = path.join(env.root, 'rootfs.tar');
    writeRootfsTarball(rootfsTar);
    r = other.hako(['import', rootfsTar, 'hako.local/imported:1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    // The image ID, as `images` shows it (docker's import prints the same), not the manifest's digest.
    assert.equal(other.ok(['images', '--no-trunc', '--format', '{{.ID}}', 'hako.local/imported:1']).split('\n').includes(r.stdout.trim()), true);
    assert.equal(other.hako(['run', '--rm', '--network', 'none', 'hako.local/imported:1', '/bin/sh', '-c', 'echo imported']).stdout, 'imported\n');
    assert.match(other.hako(['load', '-i', '/nonexistent']).stderr, /nonexistent/);
  } finally {
    assert.deepEqual(other.cleanup(), []);
  }
});

test('unpacked layers are shared, kept while a container uses them, and pruned by rmi', { skip }, () => {
  const other = new EngineEnv();
  try {
    const layers = path.join(other.root, 'layers');
    const tarA = path.join(other.root, 'a.tar');
    const tarB = path.join(other.root, 'b.tar');
    writeRootfsTarball(tarA);
    writeRootfsTarball(tarB, 'etc/marker');
    for (const [tar, ref] of [[tarA, 'hako.local/a:1'], [tarA, 'hako.local/a2:1'], [tarB, 'hako.local/b:1']]) {
      assert.equal(other.hako(['import', tar, ref]).code, 0);
    }
    assert.equal(other.hako(['run', '--rm', '--network', 'none', 'hako.local/a:1', '/bin/sh', '-c', 'true']).code, 0);
    assert.equal(other.hako(['run', '--rm', '--network', 'none', 'hako.local/b:1', '/bin/sh', '-c', 'true']).code, 0);
    assert.equal(fs.readdirSync(layers).length, 2, 'one directory per distinct layer');
    const before = new Set(fs.readdirSync(layers));
    assert.equal(other.hako(['create', '--name', 'keeper', '--network', 'none', 'hako.local/a2:1', '/bin/sh']).code, 0);
    assert.equal(other.hako(['rmi', 'hako.local/a:1']).code, 0);
    assert.equal(other.hako(['rmi', '-f', 'hako.local/a2:1']).code, 0);
    assert.equal(other.hako(['rmi', 'hako.local/b:1']).code, 0);
    const after = fs.readdirSync(layers);
    assert.equal(after.length, 1, 'b\'s layer is pruned, the one the container mounts stays');
    assert.ok(before.has(after[0]));
    assert.equal(other.hako(['rm', 'keeper']).code, 0);
  } finally {
    assert.deepEqual(other.cleanup(), []);
  }
});
