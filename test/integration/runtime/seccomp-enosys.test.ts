// runc's ENOSYS stub: under a profile whose default refuses (docker's: EPERM), a syscall newer than
// every syscall the profile names gets ENOSYS, so libc falls back (clone3 -> clone, fchmodat2 ->
// fchmodat) instead of failing; an older syscall the profile leaves out still gets the default.
// Each case runs under runc too, in the same test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertAsRunc, Harness } from './harness.js';
import { defaultSeccompProfile } from '../../../src/engine/docker-defaults.js';

const h = new Harness();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-enosys-'));
let probe = '';
let noCompiler = '';
before(() => {
  // A static probe: `probe N` makes syscall N and prints the errno it got.
  const src = path.join(tmp, 'probe.c');
  fs.writeFileSync(
    src,
    '#include <errno.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n' +
      'int main(int c, char **v) { long r = syscall(atol(v[1]), 0, 0, 0); printf("%ld %d\\n", r, r < 0 ? errno : 0); return 0; }\n',
  );
  probe = path.join(tmp, 'probe');
  const r = spawnSync('cc', ['-static', '-O1', '-o', probe, src], { encoding: 'utf8' });
  if (r.status !== 0) noCompiler = `no static C compiler (build-essential): ${r.error?.message ?? r.stderr.split('\n')[0]}`;
});
after(() => {
  h.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function withProbe(bundle: string): void {
  fs.copyFileSync(probe, path.join(bundle, 'rootfs/probe'));
  fs.chmodSync(path.join(bundle, 'rootfs/probe'), 0o755);
}

describe('seccomp ENOSYS stub', () => {
  it('a syscall beyond the profile gets ENOSYS, one it leaves out gets EPERM, as with runc', (t) => {
    if (noCompiler) return t.skip(noCompiler);
    const { hako: r, runc } = h.runBoth(
      ['sh', '-c', '/probe 1000; /probe 163'],
      (s) => {
        s.linux!.seccomp = defaultSeccompProfile();
      },
      withProbe,
    );
    assert.equal(r.status, 0, r.stderr);
    // 1000: no such syscall, above everything docker's profile names; 163: acct, left out.
    assert.equal(r.stdout, '-1 38\n-1 1\n');
    assertAsRunc(t, r, runc);
  });

  it('a profile that allows by default adds no stub, as with runc', (t) => {
    if (noCompiler) return t.skip(noCompiler);
    const { hako: r, runc } = h.runBoth(
      ['/probe', '1000'],
      (s) => {
        s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['acct'], action: 'SCMP_ACT_ERRNO' }] };
      },
      withProbe,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '-1 38\n'); // the kernel's own ENOSYS
    assertAsRunc(t, r, runc);
  });
});
