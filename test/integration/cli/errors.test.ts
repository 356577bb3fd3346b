// Failures the system causes (a full disk, no runtime directory) reach the user as one line naming
// the path, a non-zero exit, and nothing left behind. Needs root (a tmpfs mount, a second user).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBusyboxRootfs } from '../../fixtures/busybox.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const HAKO = path.join(REPO, 'bin/hako');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-cli-errors-'));
fs.chmodSync(work, 0o755);
after(() => fs.rmSync(work, { recursive: true, force: true }));

function hako(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(HAKO, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HAKO_ROOT: undefined, HAKO_DEBUG: undefined, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /\n\s+at |internal error|TypeError|RangeError/);
  return lines[0];
}

test('hako load onto a full disk: one line naming the path, no temp file left', () => {
  const src = path.join(work, 'src');
  const r0 = spawnSync(process.execPath, [path.join(REPO, 'scripts/builtin-image.mjs'), '--root', src], { encoding: 'utf8' });
  assert.equal(r0.status, 0, r0.stderr);
  const archive = path.join(work, 'busybox.tar');
  const layout = path.join(work, 'layout');
  assert.equal(hako(['--root', src, 'save', '-o', archive, 'hako.local/busybox']).status, 0);
  assert.equal(hako(['--root', src, 'save', '--format', 'oci-dir', '-o', layout, 'hako.local/busybox']).status, 0);
  const full = path.join(work, 'full');
  fs.mkdirSync(full);
  // 512 KiB: room for the small blobs, not for busybox's ~1 MB layer.
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', full], { encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  try {
    // A tar is extracted into the store's temp area first; a layout directory is read in place.
    const tar = hako(['--root', full, 'load', '-i', archive]);
    assert.equal(tar.status, 1);
    assert.match(oneLine(tar.stderr), new RegExp(`^hako: ${archive}: extracting into ${full}/tmp/load-[^ ]+: no space left on device \\(ENOSPC\\)$`));
    assert.deepEqual(fs.readdirSync(path.join(full, 'tmp')), [], 'no temp file left');
    const dir = hako(['--root', full, 'load', '-i', layout]);
    assert.equal(dir.status, 1);
    assert.match(oneLine(dir.stderr), new RegExp(`^hako: storing blob sha256:[0-9a-f]{64} in ${full}/blobs/sha256: no space left on device \\(ENOSPC\\)$`));
    assert.deepEqual(fs.readdirSync(path.join(full, 'tmp')), [], 'no temp file left');
    assert.equal(hako(['--root', full, 'images', '-q']).stdout, '', 'no image');
  } finally {
    spawnSync('umount', [full]);
  }
});

test('rootless without XDG_RUNTIME_DIR: a private /tmp/hako-$UID, and anything else there is refused', (t) => {
  const uid = 65534; // nobody
  const fallback = `/tmp/hako-${uid}`;
  if (fs.existsSync(fallback)) return t.skip(`${fallback} exists already (another user of uid ${uid}?): not touching it`);
  const bundle = path.join(work, 'rootless');
  makeBusyboxRootfs(path.join(bundle, 'rootfs'));
  const asNobody = (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HAKO_ROOT: undefined, HAKO_DEBUG: undefined, XDG_RUNTIME_DIR: undefined };
    const r = spawnSync(HAKO, ['runtime', ...args], { cwd: bundle, uid, gid: uid, encoding: 'utf8', env, timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  try {
    fs.chownSync(bundle, uid, uid);
    let r = asNobody(['spec', '--rootless']);
    assert.equal(r.status, 0, r.stderr);
    const spec = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    spec.process.terminal = false;
    spec.process.args = ['sh', '-c', 'echo hello from $(id -u)'];
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec));
    r = asNobody(['run', 'fb1']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello from 0\n');
    const st = fs.lstatSync(fallback);
    assert.ok(st.isDirectory());
    assert.equal(st.uid, uid);
    assert.equal(st.mode & 0o777, 0o700);
    assert.deepEqual(fs.readdirSync(fallback), [], "the container's state is gone after run");

    // Someone else's directory, one others can enter, or a symlink: one line, nothing made.
    const refused = (why: RegExp) => {
      for (const args of [['run', 'fb2'], ['list'], ['state', 'fb2']]) {
        const x = asNobody(args);
        assert.equal(x.status, 1, `${args[0]}: ${x.stderr}`);
        assert.match(oneLine(x.stderr), new RegExp(`^hako: state directory ${fallback} ${why.source}: refusing it \\(set XDG_RUNTIME_DIR, or use --root\\)$`));
      }
    };
    fs.chmodSync(fallback, 0o755);
    refused(/has mode 0755, not 0700/);
    fs.chmodSync(fallback, 0o700);
    fs.chownSync(fallback, 0, 0);
    refused(/is owned by uid 0, not 65534/);
    fs.rmdirSync(fallback);
    const elsewhere = path.join(work, 'elsewhere');
    fs.mkdirSync(elsewhere, { mode: 0o700 });
    fs.chownSync(elsewhere, uid, uid);
    fs.symlinkSync(elsewhere, fallback);
    refused(/is a symlink/);
    assert.deepEqual(fs.readdirSync(elsewhere), []);
  } finally {
    fs.rmSync(fallback, { recursive: true, force: true });
  }
});
