// Rootless: an unprivileged user runs a `spec --rootless` bundle; it is root inside, itself outside.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAKO } from './harness.js';
import { makeBusyboxRootfs } from '../../fixtures/busybox.js';

const UID = 1000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-rootless-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function asUser(args: string[]) {
  const r = spawnSync(HAKO, ['runtime', ...args], {
    cwd: dir,
    uid: UID,
    gid: UID,
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: path.join(dir, 'run') },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('rootless', () => {
  it('spec --rootless gives a bundle an unprivileged user can run', () => {
    fs.chmodSync(dir, 0o755);
    makeBusyboxRootfs(path.join(dir, 'rootfs'));
    fs.mkdirSync(path.join(dir, 'run'));
    for (const p of [dir, path.join(dir, 'run')]) fs.chownSync(p, UID, UID);
    let r = asUser(['spec', '--rootless']);
    assert.equal(r.status, 0, r.stderr);
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(spec.linux.uidMappings, [{ containerID: 0, hostID: UID, size: 1 }]);
    spec.process.terminal = false;
    spec.process.args = ['sh', '-c', 'id -u; cat /proc/self/uid_map; touch /tmp/x 2>/dev/null || echo ro'];
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
    r = asUser(['run', 'rl1']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '0');
    assert.deepEqual(lines[1].trim().split(/\s+/), ['0', String(UID), '1']);
    assert.ok(!fs.existsSync(path.join(dir, 'run/hako/rl1')), 'state removed after run');
    // Limits need a delegated cgroup: a clear error, not silently ignored.
    spec.linux.resources = { memory: { limit: 64 << 20 } };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
    r = asUser(['run', 'rl2']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^hako: config\.json: linux\.resources: rootless, and no writable cgroup tree/);
  });
});
