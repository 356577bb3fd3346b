// The systemd cgroup driver (`hako runtime --systemd-cgroup`), compared with runc's in the same
// tests: the container's transient scope, its limits as systemd and the container see them and as
// the kernel enforces them, update, pause, delete, and malformed cgroupsPaths. Needs systemd as
// PID 1, which this machine lacks: scripts/test-vm-systemd.sh boots a VM with systemd 252, on
// cgroup v2 and on v1, and runs this file there (scripts/test.sh runs that).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Harness, RUNC, NO_RUNC } from '../runtime/harness.js';
import { PURE_V2, cgroupFile, existingCgroupDirs } from '../../fixtures/cgroup-layout.js';
import { systemdBooted } from '../../../src/cgroups/index.js';

const MiB = 1024 * 1024;
const skip =
  process.getuid?.() !== 0
    ? 'needs root'
    : !systemdBooted()
      ? 'needs systemd as PID 1 (no /run/systemd/system on this host); scripts/test-vm-systemd.sh runs this file in a VM booted with systemd'
      : false;
const h = new Harness();
after(() => h.cleanup());
const SD = ['--systemd-cgroup'];
/** The memory limit's unit property: MemoryMax on v2, MemoryLimit on v1 (as runc sets them). */
const MEMORY_PROP = PURE_V2 ? 'MemoryMax' : 'MemoryLimit';

/** `systemctl show UNIT -p ...` as an object. */
function unitProps(unit: string, props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...props.flatMap((p) => ['-p', p])], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s, 2) as [string, string]),
  );
}

/** A detached container under hako (or runc) with the systemd driver. */
function startBoth(args: string[], resources: object, cgroupsPath?: (id: string) => string) {
  const started: { runtime: 'hako' | 'runc'; id: string; unit: string }[] = [];
  for (const runtime of RUNC ? (['hako', 'runc'] as const) : (['hako'] as const)) {
    const id = h.id(runtime === 'runc' ? 'runc' : 'c');
    const bundle = h.bundle(args, (s) => {
      s.linux!.resources = resources;
      if (cgroupsPath) s.linux!.cgroupsPath = cgroupsPath(id);
    });
    const run = runtime === 'hako' ? h.hakoDetached : h.runcDetached;
    const r = run.call(h, [...SD, 'run', '--detach', '--bundle', bundle, id]);
    assert.equal(r.status, 0, `${runtime}: ${r.stdout}`);
    started.push({ runtime, id, unit: cgroupsPath ? `${cgroupsPath(id).split(':')[1]}-${id}.scope` : `${runtime}-${id}.scope` });
  }
  return started;
}

const cli = (runtime: 'hako' | 'runc') => (args: string[]) => (runtime === 'hako' ? h.hako(args) : h.runc(args));

describe(`the systemd cgroup driver (cgroup ${PURE_V2 ? 'v2' : 'v1'})`, { skip }, () => {
  it('puts the container in system.slice/<prefix>-<id>.scope with its limits, as runc', (t) => {
    if (!RUNC) t.diagnostic(NO_RUNC);
    const resources = { memory: { limit: 64 * MiB }, pids: { limit: 20 } };
    for (const c of startBoth(['sleep', '1000'], resources)) {
      const p = unitProps(c.unit, ['ControlGroup', 'ActiveState', 'Delegate', MEMORY_PROP, 'TasksMax', 'DevicePolicy']);
      assert.deepEqual(
        p,
        {
          ControlGroup: `/system.slice/${c.unit}`,
          ActiveState: 'active',
          Delegate: 'yes',
          [MEMORY_PROP]: String(64 * MiB),
          TasksMax: '20',
          DevicePolicy: 'strict',
        },
        c.runtime,
      );
      const pid = JSON.parse(cli(c.runtime)(['state', c.id]).stdout).pid;
      const own = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      assert.match(own, new RegExp(`^\\d+:${PURE_V2 ? '' : 'name=systemd'}:/system\\.slice/${c.unit.replace(/\./g, '\\.')}$`, 'm'), c.runtime);
      // From inside: the limits in its own cgroup (the cgroup namespace's root).
      const inside = cli(c.runtime)(['exec', c.id, 'cat', cgroupFile('memory'), cgroupFile('pids')]);
      assert.equal(inside.status, 0, inside.stderr);
      assert.deepEqual(inside.stdout.trim().split('\n'), [String(64 * MiB), '20'], c.runtime);
      assert.equal(cli(c.runtime)(['delete', '--force', c.id]).status, 0);
    }
  });

  it('the kernel enforces them: a fork bomb stops at pids, an allocation past memory is OOM-killed', () => {
    const bomb = h.hako([
      ...SD,
      'run',
      '--bundle',
      h.bundle(['sh', '-c', 'i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); done; echo all forked'], (s) => {
        s.linux!.resources = { pids: { limit: 10 } };
      }),
      h.id(),
    ]);
    assert.match(bomb.stderr, /can't fork/);
    assert.doesNotMatch(bomb.stdout, /all forked/);
    const oom = h.hako([
      ...SD,
      'run',
      '--bundle',
      // tail keeps a line with no end in memory: it is killed (137), and the shell says so.
      h.bundle(['sh', '-c', 'head -c 100m /dev/zero | tail > /dev/null; echo "tail $?"'], (s) => {
        s.linux!.resources = { memory: { limit: 32 * MiB, swap: 32 * MiB } };
      }),
      h.id(),
    ]);
    assert.equal(oom.stdout, 'tail 137\n', oom.stderr);
  });

  it('update changes the limits in systemd and in the files, as runc', () => {
    for (const c of startBoth(['sleep', '1000'], { memory: { limit: 64 * MiB }, pids: { limit: 20 } })) {
      const r = cli(c.runtime)(['update', '--memory', '100m', '--pids-limit', '30', c.id]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(unitProps(c.unit, [MEMORY_PROP, 'TasksMax']), { [MEMORY_PROP]: String(100 * MiB), TasksMax: '30' }, c.runtime);
      const inside = cli(c.runtime)(['exec', c.id, 'cat', cgroupFile('memory'), cgroupFile('pids')]);
      assert.deepEqual(inside.stdout.trim().split('\n'), [String(100 * MiB), '30'], c.runtime);
      assert.equal(cli(c.runtime)(['delete', '--force', c.id]).status, 0);
    }
  });

  it('pause, resume, kill and delete; delete removes the scope and its cgroup, as runc', () => {
    for (const c of startBoth(['sleep', '1000'], {}, (id) => `system.slice:hakotest:${id}`)) {
      const run = cli(c.runtime);
      assert.equal(run(['pause', c.id]).status, 0);
      assert.equal(JSON.parse(run(['state', c.id]).stdout).status, 'paused', c.runtime);
      assert.equal(run(['resume', c.id]).status, 0);
      assert.equal(JSON.parse(run(['state', c.id]).stdout).status, 'running', c.runtime);
      assert.equal(run(['kill', c.id, 'KILL']).status, 0);
      for (let i = 0; i < 100 && JSON.parse(run(['state', c.id]).stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.1']);
      const d = run(['delete', c.id]);
      assert.equal(d.status, 0, d.stderr);
      assert.equal(unitProps(c.unit, ['LoadState']).LoadState, 'not-found', `${c.runtime}: the unit is gone`);
      assert.deepEqual(existingCgroupDirs(`/system.slice/${c.unit}`), [], c.runtime);
    }
  });

  it('a cgroupsPath naming a scope in use is refused, one line, and the container in it is untouched', () => {
    const path = `system.slice:hakotest:dup-${process.pid}`;
    const first = h.id();
    const edit = (s: { linux?: { cgroupsPath?: string } }) => {
      s.linux!.cgroupsPath = path;
    };
    assert.equal(h.hakoDetached([...SD, 'run', '--detach', '--bundle', h.bundle(['sleep', '1000'], edit), first]).status, 0);
    const second = h.id();
    const r = h.hako([...SD, 'run', '--bundle', h.bundle(['true'], edit), second]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^hako: systemd: unit hakotest-dup-\d+\.scope already exists \(linux\.cgroupsPath names a scope in use\)\n$/);
    assert.notEqual(h.hako(['state', second]).status, 0, 'no state left');
    assert.equal(JSON.parse(h.hako(['state', first]).stdout).status, 'running', 'the first container still runs');
    assert.equal(unitProps(`hakotest-dup-${process.pid}.scope`, ['ActiveState']).ActiveState, 'active');
    assert.equal(h.hako(['delete', '--force', first]).status, 0);
  });

  it('a malformed cgroupsPath is one line naming the field and leaves nothing; runc refuses it too', () => {
    // A few kinds here (each run costs seconds in the emulated VM); the rest in test/unit/cgroups/systemd.test.ts.
    for (const bad of ['a:b', 'a:b:c:d', 'system.slice:hako:../x']) {
      const id = h.id();
      const bundle = h.bundle(['true'], (s) => {
        s.linux!.cgroupsPath = bad;
      });
      const r = h.hako([...SD, 'run', '--bundle', bundle, id]);
      assert.notEqual(r.status, 0, bad);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^hako: .*linux\.cgroupsPath.*\n$/, bad);
      assert.notEqual(h.hako(['state', id]).status, 0, `${bad}: no state left`);
      if (RUNC) assert.notEqual(h.runc([...SD, 'run', '--bundle', bundle, h.id('runc')]).status, 0, `runc refuses ${bad} too`);
    }
    const left = spawnSync('systemctl', ['list-units', '--all', '--no-legend', 'hako-*.scope', '*-x.scope'], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', 'no unit left');
  });
});
