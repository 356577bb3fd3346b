// A command that cannot be executed is reported in runc's words: engines match them to choose
// the exit code (docker: 127 for "no such file or directory" and "executable file not found in
// $PATH", 126 for "permission denied"; anything else becomes 125, its own failure).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

/** Runs `args` in a fresh bundle whose rootfs also holds /noexec (0644), /script.sh (a script
 *  whose interpreter is missing) and the directory /adir; returns the one line of stderr. */
function failure(args: string[]): string {
  const id = h.id();
  const bundle = h.bundle(args);
  const rootfs = path.join(bundle, 'rootfs');
  fs.writeFileSync(path.join(rootfs, 'noexec'), '#!/bin/sh\n', { mode: 0o644 });
  fs.writeFileSync(path.join(rootfs, 'script.sh'), '#!/no/such/interpreter\n', { mode: 0o755 });
  fs.mkdirSync(path.join(rootfs, 'adir'));
  const r = h.hako(['run', '--bundle', bundle, id]);
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(h.hako(['state', id]).status, 1, 'nothing left behind');
  return r.stderr.trim();
}

describe('exec failures in runc\'s words', () => {
  it('a missing program given by path: "no such file or directory"', () => {
    assert.equal(failure(['/no/such/program']), 'hako: exec: "/no/such/program": stat /no/such/program: no such file or directory');
  });

  it('a program not found in $PATH: "executable file not found in $PATH"', () => {
    assert.equal(failure(['nosuchprogram']), 'hako: exec: "nosuchprogram": executable file not found in $PATH');
  });

  it('a file without execute permission, or a directory: "permission denied"', () => {
    assert.equal(failure(['/noexec']), 'hako: exec: "/noexec": permission denied');
    assert.equal(failure(['/adir']), 'hako: exec: "/adir": permission denied');
  });

  it('execve itself failing (a script\'s missing interpreter) keeps the kernel\'s reason, lower-case', () => {
    assert.equal(failure(['/script.sh']), 'hako: exec: /script.sh: no such file or directory');
  });

  it('exec into a running container words it the same way', () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(['sleep', '60']), id]).status, 0);
    const r = h.hako(['exec', id, 'nosuchprogram']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /exec: "nosuchprogram": executable file not found in \$PATH/);
    h.hako(['delete', '--force', id]);
  });
});
