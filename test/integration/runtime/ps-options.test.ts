// `ps ID [ps options]` as runc: ps(1) is run with the options (`-ef` without), and its header and
// the lines of the container's processes are printed. A runc container of the same bundle is asked
// the same in the same test: with the pids taken out, the output must be runc's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Harness, NO_RUNC, RUNC, type Result } from './harness.js';

const h = new Harness();
let id = '';
let pid = 0;
let runcId = '';
let runcPid = 0;
before(() => {
  id = h.id();
  const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), id]);
  assert.equal(r.status, 0, r.stderr);
  pid = JSON.parse(h.hako(['state', id]).stdout).pid;
  if (RUNC) {
    runcId = h.id('runc');
    assert.equal(h.runcDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100']), runcId]).status, 0);
    runcPid = JSON.parse(h.runc(['state', runcId]).stdout).pid;
  }
});

/** The output with the container's pid, the start time (STIME, TIME) and -ef's C column (CPU use
 *  since start: a just-started `sleep` may still show its exec's share) taken out. */
const normalize = (out: string, p: number): string =>
  out
    .replaceAll(String(p), 'PID')
    .replace(/\d\d:\d\d(:\d\d)?/g, 'T')
    .replace(/^(\S+\s+PID\s+\d+)\s+\d+ /gm, '$1 C ');

/** `ps` with `opts` under runc, on its container, must print what hako printed (pids aside). */
function asRunc(t: { diagnostic: (m: string) => void }, opts: string[], hako: Result): void {
  if (!RUNC) {
    t.diagnostic(NO_RUNC);
    return;
  }
  const r = h.runc(['ps', runcId, ...opts]);
  assert.equal(r.status, hako.status, r.stderr);
  assert.equal(normalize(hako.stdout, pid), normalize(r.stdout, runcPid), `ps ${opts.join(' ')} as runc`);
}
after(() => h.cleanup());

describe('runtime ps with ps(1) options', {
  skip: fs.existsSync('/usr/bin/ps') || fs.existsSync('/bin/ps') ? false : 'ps(1) (Debian procps) is not installed',
}, () => {
  it('without options: ps -ef, filtered to the container, as runc', (t) => {
    const r = h.hako(['ps', id]);
    asRunc(t, [], r);
    assert.equal(r.status, 0, r.stderr);
    const [header, ...lines] = r.stdout.trimEnd().split('\n');
    assert.match(header, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assert.equal(lines.length, 1, r.stdout);
    assert.equal(Number(lines[0].trim().split(/\s+/)[1]), pid);
    assert.match(lines[0], /sleep 100$/);
  });

  it('options after the id go to ps: -e -x, -o pid,comm, as runc', (t) => {
    let r = h.hako(['ps', id, '-e', '-x']);
    assert.equal(r.status, 0, r.stderr);
    asRunc(t, ['-e', '-x'], r);
    assert.match(r.stdout, /^\s*PID\s+TTY\s+STAT\s+TIME\s+COMMAND\n\s*\d+ .*sleep 100( .*)?\n$/);
    r = h.hako(['ps', id, '-o', 'pid,comm']);
    asRunc(t, ['-o', 'pid,comm'], r);
    assert.match(r.stdout, new RegExp(`^\\s*PID COMMAND\\n\\s*${pid} sleep\\n$`));
    assert.equal(JSON.parse(h.hako(['ps', '--format', 'json', id]).stdout)[0], pid);
  });

  it('options without a PID column are refused clearly, as runc refuses them', (t) => {
    const r = h.hako(['ps', id, '-o', 'comm']);
    asRunc(t, ['-o', 'comm'], r);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'hako: ps: the output of ps -o comm has no PID column\n');
  });
});
