// exec's flags as runc treats them: a process file without `user` runs as 0:0, and a pid file that
// cannot be written is refused before anything runs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness } from './harness.js';

const h = new Harness();
let id = '';
before(() => {
  id = h.id();
  const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100'], (s) => { s.root!.readonly = false; }), id]);
  assert.equal(r.status, 0, r.stderr);
});
after(() => h.cleanup());

describe('exec flags as runc', () => {
  it('-p process.json without user runs as 0:0', () => {
    const file = path.join(h.root, '.process.json');
    fs.writeFileSync(file, JSON.stringify({ args: ['sh', '-c', 'id -u; id -g'], cwd: '/', env: ['PATH=/bin'] }));
    const r = h.hako(['exec', '-p', file, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '0\n0\n');
  });

  it('a --pid-file in a missing directory is refused before the process runs', () => {
    const r = h.hako(['exec', '--pid-file', '/nonexistent-dir/pid', id, 'touch', '/ran']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'hako: --pid-file /nonexistent-dir/pid: directory /nonexistent-dir does not exist\n');
    assert.equal(h.hako(['exec', id, 'ls', '/ran']).status, 1, 'the process did not run');
  });

  it('--preserve-fds 0 is no fd at all', () => {
    // --preserve-fds N and --cgroup work: exec-preserve-fds.test.ts, exec-cgroup.test.ts.
    assert.equal(h.hako(['exec', '--preserve-fds', '0', id, 'true']).status, 0);
  });
});
