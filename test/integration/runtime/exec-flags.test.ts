// exec's flags as runc treats them: a process file without `user` runs as 0:0, and a pid file that
// cannot be written is refused before anything runs. Checked against a runc container too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, NO_RUNC, RUNC } from './harness.js';

const h = new Harness();
let id = '';
let runcId = '';
before(() => {
  id = h.id();
  const r = h.hakoDetached([
    'run',
    '-d',
    '--bundle',
    h.bundle(['sleep', '100'], (s) => {
      s.root!.readonly = false;
    }),
    id,
  ]);
  assert.equal(r.status, 0, r.stderr);
  if (RUNC) {
    runcId = h.id('runc');
    const rr = h.runcDetached([
      'run',
      '-d',
      '--bundle',
      h.bundle(['sleep', '100'], (s) => {
        s.root!.readonly = false;
      }),
      runcId,
    ]);
    assert.equal(rr.status, 0, rr.stderr);
  }
});
after(() => h.cleanup());

describe('exec flags as runc', () => {
  it('-p process.json without user runs as 0:0, as with runc', (t) => {
    const file = path.join(h.root, '.process.json');
    fs.writeFileSync(file, JSON.stringify({ args: ['sh', '-c', 'id -u; id -g'], cwd: '/', env: ['PATH=/bin'] }));
    const r = h.hako(['exec', '-p', file, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '0\n0\n');
    if (!RUNC) return t.diagnostic(NO_RUNC);
    const rr = h.runc(['exec', '-p', file, runcId]);
    assert.equal(rr.status, 0, rr.stderr);
    assert.equal(rr.stdout, r.stdout, 'runc runs it as 0:0 too');
  });

  it('a --pid-file in a missing directory is refused before the process runs (runc refuses it too)', (t) => {
    const r = h.hako(['exec', '--pid-file', '/nonexistent-dir/pid', id, 'touch', '/ran']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'hako: --pid-file /nonexistent-dir/pid: directory /nonexistent-dir does not exist\n');
    assert.equal(h.hako(['exec', id, 'ls', '/ran']).status, 1, 'the process did not run');
    // runc refuses it too, though only after starting the process (which it then kills).
    if (!RUNC) return t.diagnostic(NO_RUNC);
    assert.notEqual(h.runc(['exec', '--pid-file', '/nonexistent-dir/pid', runcId, 'true']).status, 0);
  });

  it('--preserve-fds 0 is no fd at all', () => {
    // --preserve-fds N and --cgroup work: exec-preserve-fds.test.ts, exec-cgroup.test.ts.
    assert.equal(h.hako(['exec', '--preserve-fds', '0', id, 'true']).status, 0);
  });
});
