// `exec --cgroup` as runc: the process joins a sub-cgroup of the container's (made by the caller),
// for every hierarchy (`--cgroup sub`) or one controller's (`--cgroup memory:sub`), checked from the
// host in /proc/PID/cgroup; a missing sub-cgroup or a path leaving the container's is refused in
// one line before anything runs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, waitFor } from './harness.js';

const h = new Harness();
const CG = '/sys/fs/cgroup';
const v1 = !fs.existsSync(`${CG}/cgroup.controllers`);
let id = '';
let base = '';
const made: string[] = [];

/** /proc/PID/cgroup as hierarchy (the controllers field) -> path. */
function cgroupsOf(pid: number): Map<string, string> {
  return new Map(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
    const [, ctl, p] = l.split(':');
    return [ctl, p] as [string, string];
  }));
}
/** The mount directory of a v1 hierarchy named by its /proc/PID/cgroup field. */
const mountOf = (ctl: string) => `${CG}/${ctl === '' ? 'unified' : ctl.replace(/^name=/, '')}`;

before(() => {
  id = h.id();
  const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
  assert.equal(r.status, 0, r.stderr);
  const pid = JSON.parse(h.hako(['state', id]).stdout).pid as number;
  const cgs = cgroupsOf(pid);
  base = cgs.get(v1 ? 'memory' : '')!;
  assert.ok(base && base !== '/', `the container has a cgroup of its own: ${base}`);
  // The caller's part: make the sub-cgroup in every hierarchy the container is in.
  for (const [ctl, p] of cgs) {
    if (p !== base) continue;
    const dir = path.join(v1 ? mountOf(ctl) : CG, p, 'sub');
    fs.mkdirSync(dir);
    made.push(dir);
    // A v1 cpuset cgroup starts with no cpus and mems and takes no process (ENOSPC) until given some.
    if (ctl === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(`${dir}/${f}`, fs.readFileSync(`${path.dirname(dir)}/${f}`));
    }
  }
});
after(() => {
  h.cleanup(); // delete removes the container's cgroup and the sub-cgroups inside
  for (const dir of made.reverse()) try { fs.rmdirSync(dir); } catch { /* gone with the container */ }
});

function execDetached(flags: string[]): number {
  const pidFile = path.join(h.root, `.exec-${Math.random()}`);
  const r = h.hakoDetached(['exec', '-d', '--pid-file', pidFile, ...flags, id, 'sleep', '50']);
  assert.equal(r.status, 0, r.stderr);
  return Number(fs.readFileSync(pidFile, 'utf8'));
}

describe('exec --cgroup', () => {
  it('--cgroup sub: every hierarchy of the container, one level down', () => {
    const pid = execDetached(['--cgroup', 'sub']);
    try {
      const cgs = cgroupsOf(pid);
      for (const dir of made) {
        const ctl = [...cgs.keys()].find((c) => dir === path.join(v1 ? mountOf(c) : CG, base, 'sub'));
        assert.ok(ctl !== undefined, `hierarchy of ${dir}`);
        assert.equal(cgs.get(ctl), `${base}/sub`, ctl);
      }
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('--cgroup memory:sub (v1): the memory hierarchy only', { skip: !v1 && 'cgroup v2 host: one hierarchy' }, () => {
    const pid = execDetached(['--cgroup', 'memory:sub']);
    try {
      const cgs = cgroupsOf(pid);
      assert.equal(cgs.get('memory'), `${base}/sub`);
      assert.equal(cgs.get('pids'), base, 'the other hierarchies stay in the container\'s own cgroup');
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('a missing or escaping sub-cgroup is refused in one line, and nothing runs', () => {
    const cases: [string, RegExp][] = [
      ['nosuch', /^hako: exec: --cgroup nosuch: sub-cgroup \/sys\/fs\/cgroup\/\S+\/nosuch does not exist\n$/],
      ['../escape', /^hako: exec: --cgroup \.\.\/escape: the path must name a sub-cgroup inside the container's cgroup \(relative, no "\.\."\)\n$/],
      ['sub/../../x', /^hako: exec: --cgroup sub\/\.\.\/\.\.\/x: the path must name a sub-cgroup/],
      ['/hako', /^hako: exec: --cgroup \/hako: the path must name a sub-cgroup/],
      ['nosuchctl:sub', /^hako: exec: --cgroup nosuchctl:sub: controller nosuchctl is not a hierarchy of the container's cgroup\n$/],
    ];
    for (const [flag, want] of cases) {
      const r = h.hako(['exec', '--cgroup', flag, id, 'touch', '/tmp/ran']);
      assert.equal(r.status, 1, flag);
      assert.match(r.stderr, want, flag);
    }
    assert.equal(h.hako(['exec', id, 'ls', '/tmp/ran']).status, 1, 'the process did not run');
  });
});
