// src/native/modes.ts, the wrappers of hako-init's tool modes, against a stand-in helper ($HAKO_INIT):
// the arguments each mode gets, stdin and stdout passed through, and a failure as one line of what the
// helper said (its `hako-init: ` prefix removed), or how starting it failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-modes-'));
const log = path.join(dir, 'argv');
const fake = path.join(dir, 'hako-init');
// Records its arguments; `fail` as the last one makes it fail as hako-init does; stdin is echoed.
fs.writeFileSync(
  fake,
  `#!/bin/sh
printf '%s\\n' "$@" > ${JSON.stringify(log)}
for last; do :; done
if [ "$last" = fail ]; then printf 'hako-init: %s: it failed\\nsecond line\\n' "$1" >&2; exit 1; fi
[ "$1" = seccomp-export ] && cat
exit 0
`,
  { mode: 0o755 },
);
process.env.HAKO_INIT = fake; // read by findHelper on first use, before the import below runs it
const modes = await import('../../../src/native/modes.js');
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

const argv = () => fs.readFileSync(log, 'utf8').trimEnd().split('\n');

test('each mode passes its arguments; seccomp-export returns what the helper wrote', () => {
  modes.mount({ source: 'overlay', target: '/t', fstype: 'overlay', flags: 0, data: 'lowerdir=a', cwd: '/c' });
  assert.deepEqual(argv(), ['mount', 'overlay', '/t', 'overlay', '0', 'lowerdir=a', '/c']);
  modes.umount('/t');
  assert.deepEqual(argv(), ['umount', '/t']);
  modes.netnsCreate('/run/pin');
  assert.deepEqual(argv(), ['netns-create', '/run/pin']);
  modes.rmtree('/x/y');
  assert.deepEqual(argv(), ['rmtree', '/x/y']);
  modes.rmtree('/x/y', ['/x/y/fs/rootfs']);
  assert.deepEqual(argv(), ['rmtree', '/x/y', '/x/y/fs/rootfs']);
  assert.equal(modes.seccompExport('PROFILE').toString(), 'PROFILE');
  assert.deepEqual(modes.engineSocketCommand('/s.sock'), { path: fake, args: ['--engine-socket=/s.sock'] });
});

test('a failure is one NativeModeError line with what hako-init said', () => {
  assert.throws(
    () => modes.netnsDelete('fail'),
    (e: unknown) => {
      assert.ok(e instanceof modes.NativeModeError);
      assert.equal(e.message, 'netns-delete: it failed second line');
      return true;
    },
  );
});
