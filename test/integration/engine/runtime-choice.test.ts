// `hako run --runtime hako|runc|crun`: the engine drives runc and crun as external runtimes
// (src/engine/runtime-external.ts) and its own in-process (runtime-hako.ts). Each case runs the
// same commands under the default runtime and under the chosen one and expects the same
// outcome: foreground output and exit status, -d with exec, logs, stop and rm, docker's 126/127.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

let env!: EngineEnv;
useEngineEnv(engineSkip, (e) => {
  env = e;
});

function installed(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** What one runtime gives for the same commands; compared across runtimes. */
function behaviour(runtime: string[]): Record<string, unknown> {
  const fg = env.hako(['run', '--rm', ...runtime, '--network', 'none', IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  const stdin = env.hako(['run', '--rm', '-i', ...runtime, '--network', 'none', IMAGE, 'sh', '-c', 'cat; exit 5'], { input: 'piped\n' });
  const name = `bg-${runtime[1] ?? 'default'}`;
  env.ok([
    'run',
    '-d',
    '--name',
    name,
    ...runtime,
    '--network',
    'none',
    IMAGE,
    'sh',
    '-c',
    'echo up; trap "echo bye; exit 7" TERM; while :; do sleep 0.1; done',
  ]);
  const running = env.inspect(name).State;
  const exec = env.hako(['exec', name, 'sh', '-c', 'echo in-exec; cat /proc/1/cmdline | tr "\\0" " "; exit 4']);
  const execNotFound = env.hako(['exec', name, 'nosuchcommand']).code;
  const execDir = env.hako(['exec', name, '/etc']).code;
  const stop = env.hako(['stop', '-t', '10', name]);
  const stopped = env.inspect(name).State;
  const logs = env.ok(['logs', name]);
  const rm = env.hako(['rm', name]);
  return {
    fg: [fg.code, fg.stdout, fg.stderr],
    stdin: [stdin.code, stdin.stdout],
    running: [running.Status, running.Pid > 0],
    exec: [exec.code, exec.stdout],
    execNotFound,
    execDir,
    stop: stop.code,
    stopped: [stopped.Status, stopped.ExitCode],
    logs,
    rm: rm.code,
    notFound: env.hako(['run', '--rm', ...runtime, IMAGE, 'nosuchcommand']).code,
    notFoundDetached: env.hako(['run', '-d', '--rm', ...runtime, IMAGE, 'nosuchcommand']).code,
    isDir: env.hako(['run', '--rm', '-i', ...runtime, IMAGE, '/etc']).code,
  };
}

/** The external runtime's state directory is empty once its containers are gone. */
function assertNoRuntimeState(name: string): void {
  const dir = path.join(env.root, `run-${name}`);
  const left = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  assert.deepEqual(left, [], `${name} state left in ${dir}`);
}

async function compareWithDefault(t: TestContext, name: string): Promise<void> {
  const expected = behaviour([]);
  // The default's own results are what docker gives (guards against two runtimes equally wrong).
  assert.deepEqual(expected.fg, [3, 'out\n', 'err\n']);
  assert.deepEqual([expected.execNotFound, expected.execDir, expected.notFound, expected.isDir], [127, 126, 127, 126]);
  assert.deepEqual(expected.stopped, ['exited', 7]);
  const got = behaviour(['--runtime', name]);
  assert.deepEqual(got, expected, `--runtime ${name} behaves as the default runtime`);
  assertNoRuntimeState(name);
  void t;
}

test('--runtime runc: run, -d, exec, logs, stop, rm and exit codes as with the default runtime', { skip: engineSkip }, async (t) => {
  if (!installed('runc')) {
    t.skip('runc is not installed');
    return;
  }
  await compareWithDefault(t, 'runc');
  // Recorded per container: inspect says which, and rm/kill of a running one go through it.
  env.ok(['run', '-d', '--name', 'rec', '--runtime', 'runc', '--network', 'none', IMAGE, 'sleep', '100']);
  const doc = JSON.parse(env.ok(['inspect', 'rec']))[0] as { HostConfig: { Runtime: string }; State: { Pid: number } };
  assert.equal(doc.HostConfig.Runtime, 'runc');
  const listed = spawnSync(installed('runc')!, ['--root', path.join(env.root, 'run-runc'), 'list', '-q'], { encoding: 'utf8' }).stdout;
  assert.match(listed, /\w{64}/, 'runc itself knows the container');
  env.ok(['rm', '-f', 'rec']);
  assertNoRuntimeState('runc');
});

test('--runtime crun: as with the default runtime, where this host lets crun run', { skip: engineSkip }, async (t) => {
  if (!installed('crun')) {
    t.skip('crun is not installed');
    return;
  }
  const probe = env.hako(['run', '--rm', '--runtime', 'crun', '--network', 'none', IMAGE, 'true']);
  if (probe.code !== 0 && /cgroups in hybrid mode not supported/.test(probe.stderr)) {
    t.skip(`crun refuses this host: ${probe.stderr.trim()}`);
    return;
  }
  assert.equal(probe.code, 0, probe.stderr);
  await compareWithDefault(t, 'crun');
});

/** A mount namespace like the host's but without the hybrid layout's cgroup2 mount, which crun
 *  refuses (the conformance suite runs crun the same way, ../shared/README.md); held by a sleeping
 *  process. Test scaffolding only: hako itself never enters namespaces by shelling out. */
async function mountNamespaceWithoutUnified(): Promise<{ wrap: string[]; close(): void } | string> {
  if (!installed('unshare') || !installed('nsenter')) return 'unshare/nsenter (util-linux) are missing';
  const holder = spawn('unshare', ['-m', '--propagation', 'slave', 'sh', '-c', 'umount /sys/fs/cgroup/unified && echo ready && exec sleep 100000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  holder.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  holder.stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  await new Promise<void>((resolve) => {
    holder.stdout.on('data', () => {
      if (out.includes('ready')) resolve();
    });
    holder.once('exit', () => resolve());
  });
  if (!out.includes('ready')) return `no mount namespace without /sys/fs/cgroup/unified: ${err.trim()}`;
  return { wrap: ['nsenter', `--mount=/proc/${holder.pid}/ns/mnt`, '--'], close: () => holder.kill('SIGKILL') };
}

test('--runtime crun on this hybrid host, in a mount namespace without its cgroup2 mount', { skip: engineSkip }, async (t) => {
  if (!installed('crun')) {
    t.skip('crun is not installed');
    return;
  }
  if (!fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers')) {
    t.skip('not a hybrid cgroup host (the case above covers crun here)');
    return;
  }
  const ns = await mountNamespaceWithoutUnified();
  if (typeof ns === 'string') {
    t.skip(ns);
    return;
  }
  env.wrap = ns.wrap;
  try {
    await compareWithDefault(t, 'crun');
    assert.equal(env.ok(['ps', '-aq']), '');
  } finally {
    env.wrap = [];
    ns.close();
  }
});

test('--runtime: an unknown name, a missing file and a bad engine.json are one line, 125', { skip: engineSkip }, () => {
  const bad = env.hako(['run', '--rm', '--runtime', 'nosuch', IMAGE, 'true']);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^hako: --runtime nosuch: unknown runtime/);
  const missing = env.hako(['run', '--rm', '--runtime', '/no/such/runc', IMAGE, 'true']);
  assert.equal(missing.code, 125);
  assert.equal(missing.stderr, 'hako: --runtime /no/such/runc: not an executable file\n');
  fs.writeFileSync(path.join(env.root, 'engine.json'), '{"default-runtime": 3}');
  try {
    const r = env.hako(['run', '--rm', IMAGE, 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /engine\.json: default-runtime must be a string/);
  } finally {
    fs.rmSync(path.join(env.root, 'engine.json'));
  }
  assert.equal(env.ok(['ps', '-aq']), '', 'nothing was left of the refused runs');
});

test('default-runtime in <root>/engine.json applies to new containers only', { skip: engineSkip }, (t) => {
  if (!installed('runc')) {
    t.skip('runc is not installed');
    return;
  }
  env.ok(['create', '--name', 'before', IMAGE, 'true']);
  fs.writeFileSync(path.join(env.root, 'engine.json'), '{"default-runtime": "runc"}');
  try {
    env.ok(['create', '--name', 'after', IMAGE, 'true']);
    const rt = (n: string) => (JSON.parse(env.ok(['inspect', n]))[0] as { HostConfig: { Runtime: string } }).HostConfig.Runtime;
    assert.deepEqual([rt('before'), rt('after')], ['hako', 'runc']);
    assert.equal(env.hako(['start', '-a', 'before']).code, 0);
    assert.equal(env.hako(['start', '-a', 'after']).code, 0);
  } finally {
    fs.rmSync(path.join(env.root, 'engine.json'));
  }
  env.ok(['rm', 'before', 'after']);
});

test('--runtime runc: pause, unpause and a paused stop go through runc (its state says paused)', { skip: engineSkip }, async (t) => {
  const runc = installed('runc');
  if (!runc) {
    t.skip('runc is not installed');
    return;
  }
  const id = env.ok(['run', '-d', '--runtime', 'runc', '--network', 'none', IMAGE, 'sh', '-c', 'trap "exit 7" TERM; while :; do sleep 0.1; done']).trim();
  const runcState = () => JSON.parse(spawnSync(runc, ['--root', path.join(env.root, 'run-runc'), 'state', id], { encoding: 'utf8' }).stdout).status;
  try {
    env.ok(['pause', id]);
    assert.equal(runcState(), 'paused', "runc's own record: hako's runtime would have frozen the cgroup behind its back");
    assert.equal(env.ok(['inspect', '--format', '{{.State.Status}}', id]), 'paused\n');
    env.ok(['unpause', id]);
    assert.equal(runcState(), 'running');
    env.ok(['pause', id]);
    env.ok(['stop', '-t', '10', id]); // thawed through runc first, so the trap runs
    assert.equal(env.inspect(id).State.ExitCode, 7);
  } finally {
    env.ok(['rm', '-f', id]);
  }
  assertNoRuntimeState('runc');
});
