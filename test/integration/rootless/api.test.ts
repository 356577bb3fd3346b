// The Docker API (`hako system service`) as an ordinary user (issue 19): the service on its default
// socket, $XDG_RUNTIME_DIR/hako/docker.sock (0600, the user's), and a plain-HTTP client run as the
// same user (api-client.ts): create, start, a file in and out of the running container, wait, logs,
// a file of another id inside, inspect, delete. SIGTERM ends the service and takes the socket away.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../engine/harness.js';
import { RootlessUser, rootlessUserSkip } from './rootless-user.js';

const skip = rootlessUserSkip() || (!fs.existsSync('/usr/bin/conmon') && 'needs /usr/bin/conmon (Debian conmon)');

let user: RootlessUser;
let HAKO = '';
let CLIENT = '';

before(() => {
  if (skip) return;
  user = RootlessUser.create('hkapi');
  const inst = user.installation(REPO);
  HAKO = inst.hako;
  CLIENT = path.join(inst.build, 'test', 'integration', 'rootless', 'api-client.js');
});
after(async () => {
  if (!user) return;
  const left = await user.lingering();
  user.remove();
  assert.deepEqual(left, [], 'the user has processes left');
});

test('hako system service as an ordinary user, driven over plain HTTP by the same user', { skip }, async () => {
  const socket = path.join(user.runtimeDir, 'hako', 'docker.sock');
  const service = user.spawn([HAKO, 'system', 'service', '--time', '0']);
  const exited = new Promise<number | null>((resolve) => service.once('exit', (code) => resolve(code)));
  try {
    for (const end = Date.now() + 15_000; !fs.existsSync(socket); ) {
      assert.ok(Date.now() < end && service.exitCode === null, 'the socket appears at $XDG_RUNTIME_DIR/hako/docker.sock');
      await new Promise((r) => setTimeout(r, 50));
    }
    const st = fs.statSync(socket);
    assert.equal(st.uid, user.uid);
    assert.equal(st.mode & 0o777, 0o600, 'only the user may connect');
    const r = user.run([process.execPath, CLIENT, socket], { timeout: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout);
    assert.deepEqual(seen, {
      ping: 'OK',
      create: 201,
      start: 204,
      put: 200,
      get: { status: 200, hasContent: true },
      wait: { StatusCode: 0, Error: null },
      logs: '0\n',
      secret: { status: 200, hasContent: true },
      state: 'exited',
      delete: 204,
      list: 0,
    });
  } finally {
    service.kill('SIGTERM');
    await exited;
  }
  assert.equal(fs.existsSync(socket), false, 'the socket goes with the service');
});
