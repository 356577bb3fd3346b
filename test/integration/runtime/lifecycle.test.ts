// The OCI lifecycle through the CLI: creating -> created -> running -> stopped -> deleted.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HAKO, Harness, waitFor } from './harness.js';
import { procStat } from '../../../src/util/proc.js';

const h = new Harness();
after(() => h.cleanup());

describe('lifecycle', () => {
  it('create waits at the barrier, start runs, kill stops, delete removes', () => {
    const bundle = h.bundle(['sh', '-c', 'echo ran > /tmp/marker; sleep 60'], (s) => {
      s.root!.readonly = false;
    });
    const id = h.id();
    const pidFile = path.join(bundle, 'pid');
    let r = h.hakoDetached(['create', '--bundle', bundle, '--pid-file', pidFile, id]);
    assert.equal(r.status, 0, r.stderr);
    const state = JSON.parse(h.hako(['state', id]).stdout);
    assert.equal(state.status, 'created');
    assert.equal(state.id, id);
    assert.equal(state.bundle, bundle);
    assert.equal(state.ociVersion, '1.2.0');
    assert.equal(state.pid, Number(fs.readFileSync(pidFile, 'utf8')));
    // runc's additions, which tools written against runc read.
    assert.equal(state.rootfs, path.join(bundle, 'rootfs'));
    assert.ok(Math.abs(Date.parse(state.created) - Date.now()) < 60_000, state.created);
    assert.equal(state.owner, 'root');
    // Not started: the user process has not run.
    assert.equal(fs.existsSync(path.join(bundle, 'rootfs/tmp/marker')), false);
    // The process is waiting, not yet the user's program.
    assert.match(fs.readFileSync(`/proc/${state.pid}/cmdline`, 'utf8'), /hako-init/);

    r = h.hako(['start', id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(h.hako(['state', id]).stdout).status, 'running');
    waitFor(() => fs.existsSync(path.join(bundle, 'rootfs/tmp/marker')), 'the process to run');
    assert.doesNotMatch(fs.readFileSync(`/proc/${state.pid}/cmdline`, 'utf8'), /hako-init/);

    r = h.hako(['start', id]);
    assert.notEqual(r.status, 0, 'a second start must fail');
    assert.match(r.stderr, /in state running/);

    r = h.hako(['delete', id]);
    assert.notEqual(r.status, 0, 'deleting a running container must fail');
    assert.equal(JSON.parse(h.hako(['state', id]).stdout).status, 'running', 'a refused delete has no effect');

    assert.equal(h.hako(['kill', id, 'KILL']).status, 0);
    waitFor(() => JSON.parse(h.hako(['state', id]).stdout).status === 'stopped', 'stopped');
    const stopped = JSON.parse(h.hako(['state', id]).stdout);
    assert.equal(stopped.pid, undefined, 'a stopped container has no pid');

    r = h.hako(['kill', id, 'TERM']);
    assert.notEqual(r.status, 0, 'kill of a stopped container must fail');

    assert.equal(h.hako(['delete', id]).status, 0);
    r = h.hako(['state', id]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /does not exist/);
    assert.equal(fs.existsSync(path.join(h.root, id)), false);
  });

  it('list shows containers with their status, as table and json', () => {
    const bundle = h.bundle(['sleep', '60']);
    const id = h.id();
    assert.equal(h.hakoDetached(['create', '--bundle', bundle, id]).status, 0);
    const table = h.hako(['list']).stdout;
    assert.match(table, /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED/);
    assert.match(table, new RegExp(`${id}\\s+\\d+\\s+created`));
    const json = JSON.parse(h.hako(['list', '--format', 'json']).stdout);
    assert.equal(json.find((c: { id: string }) => c.id === id).status, 'created');
    assert.equal(h.hako(['delete', id]).status, 0, 'a created container can be deleted (runc does)');
  });

  it('delete --force kills a running container', () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(['sleep', '60']), id]).status, 0);
    const pid = JSON.parse(h.hako(['state', id]).stdout).pid;
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
    const st = procStat(pid);
    assert.ok(!st || st.state === 'Z', `process ${pid} still alive after delete --force`);
    assert.equal(fs.existsSync(path.join(h.root, id)), false);
  });

  it('run returns the exit status of the process, and 128+signal when killed', () => {
    assert.equal(h.run(['sh', '-c', 'exit 42']).status, 42);
    // Init of a PID namespace cannot be SIGKILLed from inside it; without one it can.
    assert.equal(
      h.run(['sh', '-c', 'kill -9 $$'], (s) => {
        s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
      }).status,
      137,
    );
  });

  it('run passes stdio through', () => {
    const r2 = h.hako(['run', '--bundle', h.bundle(['sh', '-c', 'read line; echo "got $line"; echo err >&2']), h.id()], { input: 'hello\n' });
    assert.equal(r2.stdout, 'got hello\n');
    assert.equal(r2.stderr, 'err\n');
  });

  it('two creates racing for one id: exactly one wins', async () => {
    const { spawn } = await import('node:child_process');
    const bundle = h.bundle(['sleep', '60']);
    const id = h.id();
    const start = () =>
      new Promise<number>((resolve) => {
        const p = spawn(HAKO, ['runtime', '--root', h.root, 'create', '--bundle', bundle, id], { stdio: 'ignore' });
        p.on('exit', (code) => resolve(code ?? -1));
      });
    const codes = await Promise.all([start(), start()]);
    assert.deepEqual(codes.sort(), [0, 1]);
    assert.equal(JSON.parse(h.hako(['state', id]).stdout).status, 'created');
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });
});
