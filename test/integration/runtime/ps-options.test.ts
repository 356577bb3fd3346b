// `ps ID [ps options]` as runc: ps(1) is run with the options (`-ef` without), and its header and
// the lines of the container's processes are printed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness } from './harness.js';

const h = new Harness();
let id = '';
let pid = 0;
before(() => {
  id = h.id();
  const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
  assert.equal(r.status, 0, r.stderr);
  pid = JSON.parse(h.hako(['state', id]).stdout).pid;
});
after(() => h.cleanup());

describe('runtime ps with ps(1) options', { skip: fs.existsSync('/usr/bin/ps') || fs.existsSync('/bin/ps') ? false : 'ps(1) (Debian procps) is not installed' }, () => {
  it('without options: ps -ef, filtered to the container', () => {
    const r = h.hako(['ps', id]);
    assert.equal(r.status, 0, r.stderr);
    const [header, ...lines] = r.stdout.trimEnd().split('\n');
    assert.match(header, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assert.equal(lines.length, 1, r.stdout);
    assert.equal(Number(lines[0].trim().split(/\s+/)[1]), pid);
    assert.match(lines[0], /sleep 100$/);
  });

  it('options after the id go to ps: -e -x, -o pid,comm', () => {
    let r = h.hako(['ps', id, '-e', '-x']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^\s*PID\s+TTY\s+STAT\s+TIME\s+COMMAND\n\s*\d+ .*sleep 100( .*)?\n$/);
    r = h.hako(['ps', id, '-o', 'pid,comm']);
    assert.match(r.stdout, new RegExp(`^\\s*PID COMMAND\\n\\s*${pid} sleep\\n$`));
    assert.equal(JSON.parse(h.hako(['ps', '--format', 'json', id]).stdout)[0], pid);
  });

  it('options without a PID column are refused clearly', () => {
    const r = h.hako(['ps', id, '-o', 'comm']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'hako: ps: the output of ps -o comm has no PID column\n');
  });
});
