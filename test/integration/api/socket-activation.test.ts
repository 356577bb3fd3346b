// On-demand start under systemd, checked with systemd-socket-activate (systemd's own tool for
// running a socket-activated service by hand): the library's service adopts the passed socket
// (LISTEN_FDS) on Node; the Bun executable cannot, says so in one line, and is started on demand
// through systemd-socket-proxyd — the units README "The Docker API" documents.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAKO, REPO } from '../engine/harness.js';
import { engineSkip, request, startService, stopService, useApiService, type ApiService } from './harness.js';

const ACTIVATE = '/usr/bin/systemd-socket-activate';
const PROXYD = ['/lib/systemd/systemd-socket-proxyd', '/usr/lib/systemd/systemd-socket-proxyd'].find((p) => fs.existsSync(p));
const skip = engineSkip || (!fs.existsSync(ACTIVATE) && 'needs systemd-socket-activate (Debian systemd)');

/** Runs `argv` under systemd-socket-activate listening on `socket`; its exit code and stderr. */
function activated(socket: string, argv: string[]) {
  const child = spawn(ACTIVATE, ['-l', socket, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exited, stderr: () => stderr };
}

async function untilSocket(socket: string): Promise<void> {
  for (const end = Date.now() + 10_000; !fs.existsSync(socket); ) {
    assert.ok(Date.now() < end, `${socket} did not appear`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('socket activation', { skip }, () => {
  let svc: ApiService;
  let dir: string;
  useApiService(skip, (s) => {
    svc = s;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-activation-'));
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the library service adopts the socket systemd passes (LISTEN_FDS) and exits when idle', async () => {
    const socket = path.join(dir, 'node.sock');
    const script = `import(${JSON.stringify(path.join(REPO, 'build/src/api/server.js'))}).then(async ({ serve }) => { const s = await serve({ root: ${JSON.stringify(svc.env.root)}, idleSeconds: 1 }); await s.closed; })`;
    const run = activated(socket, [process.execPath, '--input-type=module', '-e', script]);
    try {
      await untilSocket(socket);
      const r = await request(socket, 'GET', '/_ping');
      assert.equal(r.status, 200);
      assert.equal(await run.exited, 0, run.stderr());
    } finally {
      run.child.kill();
    }
  });

  test('the hako executable refuses a passed socket in one line', async () => {
    const socket = path.join(dir, 'bun.sock');
    const run = activated(socket, [HAKO, '--root', svc.env.root, 'system', 'service']);
    try {
      await untilSocket(socket);
      await request(socket, 'GET', '/_ping').catch(() => undefined); // the connection starts it
      assert.equal(await run.exited, 1);
      assert.match(
        run.stderr(),
        /^hako: socket activation: the hako executable \(Bun\) cannot listen on a socket passed by systemd; use systemd-socket-proxyd/m,
      );
    } finally {
      run.child.kill();
    }
  });

  test('on demand through systemd-socket-proxyd, as the README units do', { skip: !PROXYD && 'needs systemd-socket-proxyd' }, async () => {
    const hako = await startService(svc.env.root, ['--time', '0']);
    const front = path.join(dir, 'docker.sock');
    const run = activated(front, [PROXYD!, '--exit-idle-time=1', hako.socket]);
    try {
      await untilSocket(front);
      const v = await request(front, 'GET', '/v1.41/version');
      assert.equal(v.status, 200);
      assert.equal(v.json().ApiVersion, '1.41');
      assert.equal(await run.exited, 0, run.stderr());
    } finally {
      run.child.kill();
      await stopService(hako);
    }
  });
});
