// A frozen cgroup, as runc handles it: exec into a paused container is refused (unless
// --ignore-paused), and a container is not created into a cgroup that is already frozen. Both
// refusals are checked with runc too, in the same test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { HAKO, Harness, NO_RUNC, RUNC, type Result } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

/** The freezer state file of cgroupsPath P: v1's freezer hierarchy, or v2's cgroup.freeze. */
function freezeFile(p: string): { file: string; frozen: string; dir: string } | undefined {
  if (fs.existsSync('/sys/fs/cgroup/freezer')) return { dir: `/sys/fs/cgroup/freezer${p}`, file: `/sys/fs/cgroup/freezer${p}/freezer.state`, frozen: 'FROZEN' };
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return { dir: `/sys/fs/cgroup${p}`, file: `/sys/fs/cgroup${p}/cgroup.freeze`, frozen: '1' };
  return undefined;
}

type Runtime = 'hako' | 'runc';
const cli = (rt: Runtime, args: string[], opts = {}): Result => (rt === 'hako' ? h.hako(args, opts) : h.runc(args, opts));
const detached = (rt: Runtime, args: string[]): Result => (rt === 'hako' ? h.hakoDetached(args) : h.runcDetached(args));

/** exec into a paused container: status, stderr and whether it answered at once. */
function execPaused(rt: Runtime): { e: Result; quick: boolean } {
  const id = h.id(rt);
  const r = detached(rt, ['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(cli(rt, ['pause', id]).status, 0);
  const start = Date.now();
  const e = cli(rt, ['exec', id, 'true'], { timeout: 10_000 });
  const quick = Date.now() - start < 5000;
  cli(rt, ['delete', '--force', id]);
  return { e, quick };
}

describe('paused and frozen containers', () => {
  it("exec into a paused container is refused at once with runc's words, as runc refuses it", (t) => {
    const { e, quick } = execPaused('hako');
    assert.equal(e.status, 1, e.stderr);
    assert.match(e.stderr, /cannot exec in a paused container \(use --ignore-paused to override\)/);
    assert.ok(quick, 'refused without waiting');
    if (!RUNC) return t.diagnostic(NO_RUNC);
    const runc = execPaused('runc');
    assert.notEqual(runc.e.status, 0);
    assert.match(runc.e.stderr, /cannot exec in a paused container \(use --ignore-paused to override\)/);
    assert.ok(runc.quick);
  });

  it('--ignore-paused lets an exec into a paused container', async () => {
    const id = h.id();
    const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(h.hako(['pause', id]).status, 0);
    // --ignore-paused goes in; the process is frozen with the rest until resume (as with runc).
    const late = spawn(HAKO, ['runtime', '--root', h.root, 'exec', '--ignore-paused', id, 'echo', 'after resume'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    late.stdout.on('data', (d) => {
      out += d;
    });
    const done = new Promise<number | null>((res) => late.on('exit', res));
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(out, '', 'frozen until resumed');
    assert.equal(h.hako(['resume', id]).status, 0);
    assert.equal(await done, 0);
    assert.equal(out, 'after resume\n');
    h.hako(['delete', '--force', id]);
  });

  it('run -d into a cgroup that is already frozen is refused at once, leaving it as it was, as runc refuses it', (t) => {
    for (const rt of ['hako', 'runc'] as const) {
      if (rt === 'runc' && !RUNC) return t.diagnostic(NO_RUNC);
      const path = `/hako-test-frozen-${process.pid}-${rt}`;
      const f = freezeFile(path);
      if (!f) return t.skip('no cgroup freezer on this host');
      fs.mkdirSync(f.dir, { recursive: true });
      fs.writeFileSync(f.file, f.frozen);
      const id = h.id(rt);
      try {
        const r = detached(rt, [
          'run',
          '-d',
          '--bundle',
          h.bundle(['sleep', '100'], (s) => {
            s.linux!.cgroupsPath = path;
          }),
          id,
        ]);
        assert.notEqual(r.status, 0, `${rt}: ${r.stderr}`);
        assert.match(r.stderr, /container's cgroup unexpectedly frozen/, rt);
        if (rt === 'hako') assert.equal(r.stderr, `hako: container's cgroup unexpectedly frozen: ${path} (linux.cgroupsPath), as runc refuses it\n`);
        assert.notEqual(cli(rt, ['state', id]).status, 0, `${rt}: no container is left`);
        assert.equal(fs.readFileSync(f.file, 'utf8').trim(), f.frozen, `${rt}: the cgroup is still frozen`);
      } finally {
        fs.writeFileSync(f.file, f.frozen === '1' ? '0' : 'THAWED');
        try {
          fs.rmdirSync(f.dir);
        } catch {
          /* in use */
        }
      }
    }
  });
});
