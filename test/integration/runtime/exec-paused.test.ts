// A frozen cgroup, as runc handles it: exec into a paused container is refused (unless
// --ignore-paused), and a container created into a cgroup that is already frozen starts anyway.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { HAKO, Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

/** The freezer state file of cgroupsPath P: v1's freezer hierarchy, or v2's cgroup.freeze. */
function freezeFile(p: string): { file: string; frozen: string; dir: string } | undefined {
  if (fs.existsSync('/sys/fs/cgroup/freezer')) return { dir: `/sys/fs/cgroup/freezer${p}`, file: `/sys/fs/cgroup/freezer${p}/freezer.state`, frozen: 'FROZEN' };
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return { dir: `/sys/fs/cgroup${p}`, file: `/sys/fs/cgroup${p}/cgroup.freeze`, frozen: '1' };
  return undefined;
}

describe('paused and frozen containers', () => {
  it('exec into a paused container is refused at once; --ignore-paused lets it in', async () => {
    const id = h.id();
    const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(h.hako(['pause', id]).status, 0);
    const start = Date.now();
    let e = h.hako(['exec', id, 'true'], { timeout: 10_000 });
    assert.equal(e.status, 1, e.stderr);
    assert.match(e.stderr, /cannot exec in a paused container \(use --ignore-paused to override\)/);
    assert.ok(Date.now() - start < 5000, 'refused without waiting');
    // --ignore-paused goes in; the process is frozen with the rest until resume (as with runc).
    const late = spawn(HAKO, ['runtime', '--root', h.root, 'exec', '--ignore-paused', id, 'echo', 'after resume'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    late.stdout.on('data', (d) => { out += d; });
    const done = new Promise<number | null>((res) => late.on('exit', res));
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(out, '', 'frozen until resumed');
    assert.equal(h.hako(['resume', id]).status, 0);
    assert.equal(await done, 0);
    assert.equal(out, 'after resume\n');
    h.hako(['delete', '--force', id]);
  });

  it('run -d into a cgroup that is already frozen starts the container', (t) => {
    const path = `/hako-test-frozen-${process.pid}`;
    const f = freezeFile(path);
    if (!f) return t.skip('no cgroup freezer on this host');
    fs.mkdirSync(f.dir, { recursive: true });
    fs.writeFileSync(f.file, f.frozen);
    const id = h.id();
    try {
      const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100'], (s) => { s.linux!.cgroupsPath = path; }), id]);
      assert.equal(r.status, 0, r.stderr);
      const e = h.hako(['exec', id, 'echo', 'alive'], { timeout: 10_000 });
      assert.equal(e.stdout, 'alive\n', e.stderr);
      assert.equal(JSON.parse(h.hako(['state', id]).stdout).status, 'running');
    } finally {
      h.hako(['delete', '--force', id]);
      try { fs.rmdirSync(f.dir); } catch { /* removed by delete */ }
    }
  });
});
