// A command that cannot be executed is reported in runc's words: engines match them to choose
// the exit code (docker: 127 for "no such file or directory" and "executable file not found in
// $PATH", 126 for "permission denied"; anything else becomes 125, its own failure). Each failure
// is made under runc too, in the same test, and runc's message must hold hako's words.
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
  const { hako: r, runc } = h.runBoth(args, undefined, (bundle) => {
    const rootfs = path.join(bundle, 'rootfs');
    fs.writeFileSync(path.join(rootfs, 'noexec'), '#!/bin/sh\n', { mode: 0o644 });
    fs.writeFileSync(path.join(rootfs, 'script.sh'), '#!/no/such/interpreter\n', { mode: 0o755 });
    fs.mkdirSync(path.join(rootfs, 'adir'));
  });
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.equal(h.hako(['list', '-q']).stdout, '', 'nothing left behind');
  if (runc) {
    // runc logs through logrus: msg="… exec: \"x\": …" with the quotes escaped; a failing execve
    // is printed by its init as Go's "exec /x: reason" (hako: "exec: /x: reason").
    const msg = JSON.parse(/msg=("(?:[^"\\]|\\.)*")/.exec(runc.stderr)?.[1] ?? 'null') as string | null;
    assert.notEqual(runc.status, 0);
    const said = msg ?? runc.stderr.trim();
    assert.ok(said.endsWith(r.stderr.trim().replace(/^hako: exec: /, '')), `runc says: ${said}`);
  }
  return r.stderr.trim();
}

describe("exec failures in runc's words", () => {
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

  it("execve itself failing (a script's missing interpreter) keeps the kernel's reason, lower-case", () => {
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
