// --log FILE --debug, as podman and containerd pass them: each command, its arguments, its phases
// and its outcome are recorded, so a user of an engine can see what hako did (runc logs the same).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

function logLines(file: string): { level: string; msg: string; time: string }[] {
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('--debug logging', () => {
  it('records the command, the plan, the helper phases and the exit status in --log', () => {
    const log = path.join(h.root, '.debug.json');
    const id = h.id();
    const b = h.bundle(['sh', '-c', 'echo hi; exit 3'], (s) => {
      s.process!.env!.push('SECRET=hunter2');
    });
    const r = h.hako(['--log', log, '--log-format', 'json', '--debug', 'run', '--bundle', b, id]);
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stdout, 'hi\n');
    assert.equal(r.stderr, '', 'with --log, debug lines go to the file only');
    const lines = logLines(log);
    assert.ok(lines.every((l) => l.level === 'debug' && !Number.isNaN(Date.parse(l.time))));
    const msgs = lines.map((l) => l.msg);
    assert.match(msgs[0], new RegExp(`^command: \\[.*"run","--bundle",".*","${id}"\\]`));
    assert.ok(
      msgs.some((m) => m.startsWith(`create ${id}: plan: pivot_root `)),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some((m) => /^create .*: plan: exec 3 sh -c .* \(\+\d+ environment entries\)$/.test(m)),
      msgs.join('\n'),
    );
    assert.ok(msgs.includes('hako-init: ready'), msgs.join('\n'));
    assert.ok(
      msgs.some((m) => m.startsWith(`start ${id}: barrier opened`)),
      msgs.join('\n'),
    );
    assert.ok(
      msgs.some((m) => m.startsWith(`delete ${id}: `)),
      msgs.join('\n'),
    );
    assert.ok(msgs.includes('run: exit status 3'), msgs.join('\n'));
    assert.ok(!fs.readFileSync(log, 'utf8').includes('hunter2'), 'the environment stays out of the log');
  });

  it('a failure is logged with its reason; without --debug only errors are', () => {
    const log = path.join(h.root, '.debug.txt');
    let r = h.hako(['--log', log, '--debug', 'kill', 'no-such-container']);
    assert.notEqual(r.status, 0);
    const text = fs.readFileSync(log, 'utf8');
    assert.match(text, /level=debug msg="command: \[.*\\"--debug\\",\\"kill\\",\\"no-such-container\\"\]/);
    assert.match(text, /level=debug msg="kill: failed: .*no-such-container/);
    assert.match(text, /level=error msg=".*no-such-container/);
    fs.rmSync(log);
    r = h.hako(['--log', log, 'kill', 'no-such-container']);
    assert.doesNotMatch(fs.readFileSync(log, 'utf8'), /level=debug/);
  });

  it('--debug without --log writes to stderr', () => {
    const r = h.hako(['--debug', 'list', '-q']);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^hako: debug: command: /m);
    assert.match(r.stderr, /^hako: debug: list: exit status 0$/m);
  });
});
