// `exec --cgroup` as runc: the process joins a sub-cgroup of the container's (made by the caller),
// for every hierarchy (`--cgroup sub`) or one controller's (`--cgroup memory:sub`, v1), checked from
// the host in /proc/PID/cgroup; a missing sub-cgroup or a path leaving the container's is refused
// and nothing runs. Each case runs against a hako container and, in the same test, a runc container
// from the same kind of bundle, and compares where the process lands relative to each container's
// own cgroup. Runs on cgroup v1 (here) and v2 (scripts/test-vm.sh).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, NO_RUNC, RUNC } from './harness.js';

const h = new Harness();
const CG = '/sys/fs/cgroup';
const v1 = !fs.existsSync(`${CG}/cgroup.controllers`);
type Runtime = 'hako' | 'runc';
const runtimes: Runtime[] = RUNC ? ['hako', 'runc'] : ['hako'];
/** Per runtime: the container's id and its own cgroup per hierarchy (the /proc/PID/cgroup field). */
const containers = new Map<Runtime, { id: string; own: Map<string, string> }>();
const made: string[] = [];

/** /proc/PID/cgroup as hierarchy (the controllers field) -> path. */
function cgroupsOf(pid: number): Map<string, string> {
  return new Map(
    fs
      .readFileSync(`/proc/${pid}/cgroup`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const [, ctl, p] = l.split(':');
        return [ctl, p] as [string, string];
      }),
  );
}
/** The mount directory of a hierarchy named by its /proc/PID/cgroup field. */
const mountOf = (ctl: string) => (!v1 ? CG : `${CG}/${ctl === '' ? 'unified' : ctl.replace(/^name=/, '')}`);

const cli = (rt: Runtime, args: string[]) => (rt === 'hako' ? h.hako(args) : h.runc(args));
const detached = (rt: Runtime, args: string[]) => (rt === 'hako' ? h.hakoDetached(args) : h.runcDetached(args));

/** Starts a container and, as the caller, makes a sub-cgroup "sub" in each of its own cgroups. */
function start(rt: Runtime): void {
  const id = h.id(rt);
  const r = detached(rt, ['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
  assert.equal(r.status, 0, r.stderr);
  const all = cgroupsOf(JSON.parse(cli(rt, ['state', id]).stdout).pid as number);
  // The container's own cgroups end in its id (hako: /hako/ID, runc: /ID, or below the caller's).
  const own = new Map([...all].filter(([, p]) => path.basename(p) === id));
  assert.ok(own.size > 0, `${rt}: the container has cgroups of its own: ${JSON.stringify([...all])}`);
  for (const [ctl, p] of own) {
    const dir = path.join(mountOf(ctl), p, 'sub');
    fs.mkdirSync(dir);
    made.push(dir);
    // A v1 cpuset cgroup starts with no cpus and mems and takes no process (ENOSPC) until given some.
    if (ctl === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) fs.writeFileSync(`${dir}/${f}`, fs.readFileSync(`${path.dirname(dir)}/${f}`));
    }
  }
  containers.set(rt, { id, own });
}

before(() => {
  for (const rt of runtimes) start(rt);
});
after(() => {
  h.cleanup(); // delete removes the container's cgroup and the sub-cgroups inside
  for (const dir of made.reverse())
    try {
      fs.rmdirSync(dir);
    } catch {
      /* gone with the container */
    }
});

/** exec -d with the flags; where the process landed, per hierarchy of the container's own, relative
 *  to the container's cgroup there ("." for the container's cgroup itself). */
function execWhere(rt: Runtime, flags: string[]): Map<string, string> {
  const { id, own } = containers.get(rt)!;
  const pidFile = path.join(h.root, `.exec-${Math.random()}`);
  const r = detached(rt, ['exec', '-d', '--pid-file', pidFile, ...flags, id, 'sleep', '50']);
  assert.equal(r.status, 0, `${rt}: ${r.stderr}`);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  try {
    const now = cgroupsOf(pid);
    return new Map([...own].map(([ctl, base]) => [ctl, path.relative(base, now.get(ctl)!) || '.']));
  } finally {
    process.kill(pid, 'SIGKILL');
  }
}

/** hako's result for `flags`, after checking that runc's is the same (when runc is installed). */
function asRunc(flags: string[], t: { diagnostic: (m: string) => void }): Map<string, string> {
  const hako = execWhere('hako', flags);
  if (!RUNC) t.diagnostic(NO_RUNC);
  else assert.deepEqual(Object.fromEntries(hako), Object.fromEntries(execWhere('runc', flags)), 'hako and runc put the process in the same place');
  return hako;
}

describe('exec --cgroup', () => {
  it('--cgroup sub: every hierarchy of the container, one level down, as runc', (t) => {
    const where = asRunc(['--cgroup', 'sub'], t);
    assert.ok(where.size >= (v1 ? 8 : 1), `every hierarchy the container has: ${[...where.keys()]}`);
    for (const [ctl, rel] of where) assert.equal(rel, 'sub', ctl);
  });

  it('--cgroup /sub is below the container\'s cgroup too, and "a/../sub" is "sub" (runc joins the path on)', (t) => {
    for (const flag of ['/sub', 'x/../sub']) {
      for (const [ctl, rel] of asRunc(['--cgroup', flag], t)) assert.equal(rel, 'sub', `${flag} ${ctl}`);
    }
  });

  it('--cgroup memory:sub (v1): the memory hierarchy only, as runc', { skip: !v1 && 'cgroup v2 host: one hierarchy' }, (t) => {
    const where = asRunc(['--cgroup', 'memory:sub'], t);
    assert.equal(where.get('memory'), 'sub');
    assert.equal(where.get('pids'), '.', "the other hierarchies stay in the container's own cgroup");
  });

  it('a missing or escaping sub-cgroup is refused in one line, and nothing runs, as runc refuses it', () => {
    const cases: [string, RegExp][] = [
      ['nosuch', /^hako: exec: --cgroup nosuch: sub-cgroup \/sys\/fs\/cgroup\/\S+\/nosuch does not exist\n$/],
      ['../escape', /^hako: exec: --cgroup \.\.\/escape: the path must stay inside the container's cgroup\n$/],
      ['sub/../../x', /^hako: exec: --cgroup sub\/\.\.\/\.\.\/x: the path must stay inside the container's cgroup\n$/],
      [
        'nosuchctl:sub',
        v1
          ? /^hako: exec: --cgroup nosuchctl:sub: controller nosuchctl is not a hierarchy of the container's cgroup\n$/
          : /^hako: exec: --cgroup nosuchctl:sub: cgroup v2 has one hierarchy: give the path alone, without a controller\n$/,
      ],
    ];
    for (const rt of runtimes) {
      const { id } = containers.get(rt)!;
      for (const [flag, want] of cases) {
        const r = cli(rt, ['exec', '--cgroup', flag, id, 'touch', '/tmp/ran']);
        assert.notEqual(r.status, 0, `${rt} ${flag}`);
        if (rt === 'hako') {
          assert.equal(r.status, 1, flag);
          assert.match(r.stderr, want, flag);
        }
      }
      assert.equal(cli(rt, ['exec', id, 'ls', '/tmp/ran']).status, 1, `${rt}: the process did not run`);
    }
  });
});
