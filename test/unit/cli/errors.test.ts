// The CLI's top-level error handler: one line whatever was thrown, the stack only when debugging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { HakoError } from '../../../src/util/errors.js';
import { reportError, systemErrorLine } from '../../../src/cli/errors.js';
import { useStdioStreams } from '../../../src/util/stdio.js';

// Through process.stderr, where the capture below sees it (src/util/stdio.ts otherwise writes fd 2).
useStdioStreams();

function captureStderr(fn: () => number): { code: number; text: string } {
  const write = process.stderr.write;
  let text = '';
  process.stderr.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: fn(), text };
  } finally {
    process.stderr.write = write;
  }
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
}

test('a Node system error is one line: syscall, path, what the errno means', () => {
  const err = thrownBy(() => fs.mkdirSync(`/nonexistent-dir/${'x'.repeat(10)}`));
  assert.equal(systemErrorLine(err), 'mkdir /nonexistent-dir/xxxxxxxxxx: no such file or directory (ENOENT)');
  const long = thrownBy(() => fs.mkdirSync(`/tmp/${'a'.repeat(400)}`));
  assert.match(systemErrorLine(long)!, /^mkdir \/tmp\/a+…\(405 characters\): name too long \(ENAMETOOLONG\)$/);
  const link = thrownBy(() => fs.renameSync('/nonexistent-a', '/nonexistent-b'));
  assert.equal(systemErrorLine(link), 'rename /nonexistent-a -> /nonexistent-b: no such file or directory (ENOENT)');
  assert.equal(systemErrorLine(new TypeError('x')), undefined);
});

test('reportError: HakoError keeps its exit code, a system error exits 1, anything else is a bug (2)', () => {
  const saved = process.env.HAKO_DEBUG;
  delete process.env.HAKO_DEBUG;
  try {
    assert.deepEqual(
      captureStderr(() => reportError(new HakoError('bad thing', 3))),
      { code: 3, text: 'hako: bad thing\n' },
    );
    const sys = captureStderr(() => reportError(thrownBy(() => fs.readFileSync('/nonexistent-file'))));
    assert.deepEqual(sys, { code: 1, text: 'hako: open /nonexistent-file: no such file or directory (ENOENT)\n' });
    const bug = captureStderr(() => reportError(new TypeError("Cannot read properties of undefined (reading 'x')")));
    assert.equal(bug.code, 2);
    assert.equal(bug.text, "hako: bug: TypeError: Cannot read properties of undefined (reading 'x') (this is a bug in hako; HAKO_DEBUG=1 prints the stack)\n");
    assert.equal(captureStderr(() => reportError('a string')).text.split('\n').length, 2, 'one line');
    // A value quoted raw in a message (a newline in a flag's value) is escaped: still one line.
    assert.equal(captureStderr(() => reportError(new HakoError('bad value "a\nb\tc"'))).text, 'hako: bad value "a\\nb\\tc"\n');
    assert.match(captureStderr(() => reportError(new HakoError(`x${'y'.repeat(5000)}`))).text, /^hako: xy{1999}…\(5001 characters\)\n$/);
    process.env.HAKO_DEBUG = '1';
    const debug = captureStderr(() => reportError(new RangeError('boom')));
    assert.match(debug.text, /^hako: bug: RangeError: boom \(this is a bug in hako; stack below\)\nRangeError: boom\n {4}at /);
  } finally {
    if (saved === undefined) delete process.env.HAKO_DEBUG;
    else process.env.HAKO_DEBUG = saved;
  }
});
