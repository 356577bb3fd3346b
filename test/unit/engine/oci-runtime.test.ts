// The engine's runtime choice (src/engine/oci-runtime.ts, runtime-external.ts): names and paths
// accepted by --runtime, the engine root's default, and runc's and crun's error lines reduced to
// their message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkRuntimeName, defaultRuntimeName } from '../../../src/engine/oci-runtime.js';
import { execErrorAsRunc, runtimeErrorLine } from '../../../src/engine/runtime-errors.js';

test('--runtime: hako, runc, crun by name, an executable by absolute path; anything else is one line', () => {
  assert.equal(checkRuntimeName('hako'), 'hako');
  assert.equal(checkRuntimeName(''), 'hako');
  assert.equal(checkRuntimeName('/bin/true'), '/bin/true');
  assert.throws(() => checkRuntimeName('kata'), /^HakoError: --runtime kata: unknown runtime/);
  assert.throws(() => checkRuntimeName('./runc'), /unknown runtime/);
  assert.throws(() => checkRuntimeName('/etc/passwd'), /^HakoError: --runtime \/etc\/passwd: not an executable file$/);
});

test('the default runtime: $HAKO_RUNTIME, else default-runtime in <root>/engine.json, else hako', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-ocirt-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const saved = process.env.HAKO_RUNTIME;
  t.after(() => {
    if (saved === undefined) delete process.env.HAKO_RUNTIME;
    else process.env.HAKO_RUNTIME = saved;
  });
  delete process.env.HAKO_RUNTIME;
  assert.equal(defaultRuntimeName(root), 'hako');
  fs.writeFileSync(path.join(root, 'engine.json'), '{}');
  assert.equal(defaultRuntimeName(root), 'hako');
  fs.writeFileSync(path.join(root, 'engine.json'), '{"default-runtime": "crun"}');
  assert.equal(defaultRuntimeName(root), 'crun');
  process.env.HAKO_RUNTIME = 'runc';
  assert.equal(defaultRuntimeName(root), 'runc');
  delete process.env.HAKO_RUNTIME;
  fs.writeFileSync(path.join(root, 'engine.json'), '{"default-runtime": ["runc"]}');
  assert.throws(() => defaultRuntimeName(root), /engine\.json: default-runtime must be a string$/);
  fs.writeFileSync(path.join(root, 'engine.json'), '{');
  assert.throws(() => defaultRuntimeName(root), /engine\.json: /);
});

test('runtime errors: runc\'s msg="…" unescaped, crun\'s line without its prefix, the last error wins', () => {
  assert.equal(
    runtimeErrorLine(
      'time="2026-12-02T03:32:50Z" level=error msg="runc create failed: unable to start container process: exec: \\"nosuch\\": executable file not found in $PATH"\n',
    ),
    'runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH',
  );
  assert.equal(
    runtimeErrorLine('crun: cgroups in hybrid mode not supported, drop all controllers from cgroupv2\n'),
    'cgroups in hybrid mode not supported, drop all controllers from cgroupv2',
  );
  assert.equal(
    runtimeErrorLine('some output\ntime="x" level=warning msg="w"\ntime="y" level=error msg="first"\ntime="z" level=error msg="second"\n'),
    'second',
  );
  assert.equal(runtimeErrorLine('plain failure\n'), 'plain failure');
});

test("crun's failures to execute the command, worded as runc's (for docker's 126/127); others unchanged", () => {
  assert.equal(
    execErrorAsRunc('executable file `nosuch` not found in $PATH: No such file or directory', 'nosuch'),
    'exec: "nosuch": executable file not found in $PATH',
  );
  assert.equal(
    execErrorAsRunc('crun: executable file `/no/such` not found in $PATH: No such file or directory', '/no/such'),
    'exec: "/no/such": stat /no/such: no such file or directory',
  );
  assert.equal(execErrorAsRunc('open executable: Operation not permitted', '/etc'), 'exec: "/etc": permission denied');
  assert.equal(execErrorAsRunc('open executable: Permission denied', '/etc/passwd'), 'exec: "/etc/passwd": permission denied');
  assert.equal(execErrorAsRunc('cannot mount /proc: Permission denied', 'sh'), 'cannot mount /proc: Permission denied');
});
