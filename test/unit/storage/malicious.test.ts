// Hostile layers: nothing may be created, changed or deleted outside the destination, and each
// rejected archive fails with a HakoError that names the offending entry.

import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { unpackLayer } from '../../../src/storage/layers/index.js';
import { HakoError } from '../../../src/util/errors.js';
import { makeTar, stream, tempDir, type TarEntry } from './helpers.js';

interface World {
  top: string;
  dest: string;
  outside: string;
}

/** dest and a sibling "outside" dir holding a victim file; returns a snapshot checker. */
function world(t: { after(fn: () => void): void }): World & { untouched(): void } {
  const top = tempDir(t, 'hako-malicious-');
  const dest = join(top, 'dest');
  const outside = join(top, 'outside');
  mkdirSync(dest);
  mkdirSync(outside);
  writeFileSync(join(outside, 'victim'), 'original');
  const passwd = readFileSync('/etc/passwd', 'utf8');
  return {
    top,
    dest,
    outside,
    untouched() {
      assert.deepEqual(readdirSync(outside), ['victim'], 'nothing created or deleted outside');
      assert.equal(readFileSync(join(outside, 'victim'), 'utf8'), 'original');
      assert.deepEqual(readdirSync(top).sort(), ['dest', 'outside']);
      assert.equal(readFileSync('/etc/passwd', 'utf8'), passwd);
      assert.equal(lstatSync('/etc/passwd').nlink, 1, '/etc/passwd got no hard link');
    },
  };
}

async function rejects(w: World, entries: TarEntry[], entryName: string, mode: 'overlay' | 'flatten' = 'overlay'): Promise<void> {
  const buf = await makeTar(entries);
  await assert.rejects(unpackLayer(stream(buf), w.dest, { mode }), (e: unknown) => {
    assert.ok(e instanceof HakoError, `expected HakoError, got ${String(e)}`);
    assert.ok(e.message.includes(JSON.stringify(entryName)), `message names ${entryName}: ${e.message}`);
    return true;
  });
}

for (const mode of ['overlay', 'flatten'] as const) {
  test(`[${mode}] absolute member names are rejected`, async (t) => {
    const w = world(t);
    const name = join(w.outside, 'abs');
    await rejects(w, [{ name, data: 'x' }], name, mode);
    await rejects(w, [{ name: '/etc/passwd', data: 'x' }], '/etc/passwd', mode);
    w.untouched();
  });

  test(`[${mode}] ".." components are rejected`, async (t) => {
    const w = world(t);
    await rejects(w, [{ name: '../outside/victim', data: 'pwned' }], '../outside/victim', mode);
    await rejects(w, [{ name: '../../etc/x', data: 'x' }], '../../etc/x', mode);
    await rejects(w, [{ name: 'a/../../outside/new', data: 'x' }], 'a/../../outside/new', mode);
    await rejects(w, [{ name: './..', type: 'directory' }], './..', mode);
    await rejects(
      w,
      [
        { name: 'ok', data: 'x' },
        { name: 'x', type: 'symlink', linkname: 'whatever' },
        { name: '..', type: 'directory' },
      ],
      '..',
      mode,
    );
    w.untouched();
  });

  test(`[${mode}] writing through a symlink created by the layer is rejected`, async (t) => {
    const w = world(t);
    await rejects(
      w,
      [
        { name: 'a', type: 'symlink', linkname: w.outside },
        { name: 'a/pwned', data: 'x' },
      ],
      'a/pwned',
      mode,
    );
    await rejects(
      w,
      [
        { name: 'b', type: 'symlink', linkname: w.outside },
        { name: 'b/victim', data: 'x' },
      ],
      'b/victim',
      mode,
    );
    await rejects(
      w,
      [
        { name: 'c', type: 'symlink', linkname: w.outside },
        { name: 'c/sub/', type: 'directory' },
      ],
      'c/sub/',
      mode,
    );
    await rejects(
      w,
      [
        { name: 'd', type: 'symlink', linkname: w.outside },
        { name: 'd/l', type: 'symlink', linkname: '/' },
      ],
      'd/l',
      mode,
    );
    w.untouched();
  });

  test(`[${mode}] symlink-to-".." chains are not followed`, async (t) => {
    const w = world(t);
    await rejects(
      w,
      [
        { name: 'up', type: 'symlink', linkname: '..' },
        { name: 'up2/', type: 'directory' },
        { name: 'up2/up', type: 'symlink', linkname: '../..' },
        { name: 'up2/up/outside/victim', data: 'pwned' },
      ],
      'up2/up/outside/victim',
      mode,
    );
    await rejects(
      w,
      [
        { name: 'x', type: 'symlink', linkname: '..' },
        { name: 'x/outside/new', data: 'pwned' },
      ],
      'x/outside/new',
      mode,
    );
    w.untouched();
  });

  test(`[${mode}] hard links must point inside, not through symlinks, to existing non-directories`, async (t) => {
    const w = world(t);
    await rejects(w, [{ name: 'h', type: 'link', linkname: '/etc/passwd' }], 'h', mode);
    await rejects(w, [{ name: 'h', type: 'link', linkname: '../../../../../../etc/passwd' }], 'h', mode);
    await rejects(w, [{ name: 'h', type: 'link', linkname: '../outside/victim' }], 'h', mode);
    await rejects(
      w,
      [
        { name: 'etc', type: 'symlink', linkname: '/etc' },
        { name: 'h', type: 'link', linkname: 'etc/passwd' },
      ],
      'h',
      mode,
    );
    await rejects(
      w,
      [
        { name: 'o', type: 'symlink', linkname: w.outside },
        { name: 'h2', type: 'link', linkname: 'o/victim' },
      ],
      'h2',
      mode,
    );
    await rejects(w, [{ name: 'h3', type: 'link', linkname: 'missing' }], 'h3', mode);
    await rejects(
      w,
      [
        { name: 'dir/', type: 'directory' },
        { name: 'h4', type: 'link', linkname: 'dir' },
      ],
      'h4',
      mode,
    );
    w.untouched();
  });

  test(`[${mode}] whiteouts cannot reach outside`, async (t) => {
    const w = world(t);
    await rejects(w, [{ name: '../outside/.wh.victim' }], '../outside/.wh.victim', mode);
    await rejects(w, [{ name: '.wh...' }], '.wh...', mode);
    await rejects(w, [{ name: 'a/.wh...' }], 'a/.wh...', mode);
    await rejects(w, [{ name: 'o', type: 'symlink', linkname: w.outside }, { name: 'o/.wh.victim' }], 'o/.wh.victim', mode);
    await rejects(w, [{ name: 'o2', type: 'symlink', linkname: w.outside }, { name: 'o2/.wh..wh..opq' }], 'o2/.wh..wh..opq', mode);
    w.untouched();
  });
}

test('[flatten] symlinks left by LOWER layers are replaced by directories, never followed', async (t) => {
  const w = world(t);
  symlinkSync(w.outside, join(w.dest, 'lib'));
  symlinkSync(w.outside, join(w.dest, 'opq'));
  symlinkSync(w.outside, join(w.dest, 'wh'));
  symlinkSync(join(w.outside, 'victim'), join(w.dest, 'file'));
  const buf = await makeTar([
    { name: 'lib/evil', data: 'x' },
    { name: 'opq/.wh..wh..opq' },
    { name: 'wh/.wh.victim' },
    { name: 'file', data: 'replaced' },
    { name: 'h', type: 'link', linkname: 'file' },
  ]);
  await unpackLayer(stream(buf), w.dest, { mode: 'flatten' });
  assert.ok(lstatSync(join(w.dest, 'lib')).isDirectory());
  assert.equal(readFileSync(join(w.dest, 'lib/evil'), 'utf8'), 'x');
  assert.ok(lstatSync(join(w.dest, 'opq')).isDirectory());
  assert.deepEqual(readdirSync(join(w.dest, 'wh')), []);
  assert.equal(readFileSync(join(w.dest, 'h'), 'utf8'), 'replaced');
  w.untouched();
});

test('[flatten] whiteout of a lower symlink removes the link only', async (t) => {
  const w = world(t);
  symlinkSync(w.outside, join(w.dest, 'link'));
  await unpackLayer(stream(await makeTar([{ name: '.wh.link' }])), w.dest, { mode: 'flatten' });
  assert.equal(existsSync(join(w.dest, 'link')), false);
  w.untouched();
});

test('PAX path records are checked like plain names', async (t) => {
  const w = world(t);
  const buf = await makeTar([{ name: 'innocent', data: 'x', paxRaw: { path: Buffer.from('../outside/pax') } }]);
  await assert.rejects(unpackLayer(stream(buf), w.dest), (e: unknown) => e instanceof HakoError && e.message.includes('"../outside/pax"'));
  w.untouched();
});

// Issue 12 §1: metadata queued for a path (directory modes and owners, device nodes, xattrs) must
// never land on what a LATER entry put at that path (a symlink to the host).
for (const mode of ['overlay', 'flatten'] as const) {
  test(`[${mode}] queued metadata is dropped, never applied through a later symlink`, async (t) => {
    const w = world(t);
    const hostDir = join(w.top, 'outside');
    const victimStat = () => {
      const s = lstatSync(join(hostDir, 'victim'));
      return [s.mode, s.uid, s.gid, s.mtimeMs];
    };
    const before = victimStat();
    const dirBefore = lstatSync(hostDir);
    const cases: TarEntry[][] = [
      [
        { name: 'e/', type: 'directory' },
        { name: 'e/victim/', type: 'directory', mode: 0o4777, uid: 1234, gid: 1234 },
        { name: 'e', type: 'symlink', linkname: hostDir },
      ],
      [
        { name: 'd/', type: 'directory', mode: 0o777 },
        { name: 'd', type: 'symlink', linkname: join(hostDir, 'victim') },
      ],
      [
        { name: 'm/', type: 'directory' },
        { name: 'm/x', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o666 },
        { name: 'm', type: 'symlink', linkname: hostDir },
      ],
      [{ name: 'w/', type: 'directory' }, { name: 'w/.wh.x' }, { name: 'w', type: 'symlink', linkname: hostDir }],
      [
        { name: 'x/', type: 'directory', paxRaw: { 'SCHILY.xattr.user.pwn': Buffer.from('1') } },
        { name: 'x/f', data: 'f', paxRaw: { 'SCHILY.xattr.user.pwn': Buffer.from('1') } },
        { name: 'x', type: 'symlink', linkname: hostDir },
      ],
      [{ name: 'o/', type: 'directory' }, { name: 'o/.wh..wh..opq' }, { name: 'o', type: 'symlink', linkname: hostDir }],
    ];
    for (const entries of cases) {
      const dest = join(w.top, 'dest');
      const { rmSync } = await import('node:fs');
      rmSync(dest, { recursive: true, force: true });
      mkdirSync(dest);
      await unpackLayer(stream(await makeTar(entries)), dest, { mode });
      const top = entries[entries.length - 1]!.name;
      assert.ok(lstatSync(join(dest, top)).isSymbolicLink());
    }
    w.untouched();
    assert.deepEqual(victimStat(), before, 'the host file kept its mode, owner and mtime');
    const dirAfter = lstatSync(hostDir);
    assert.deepEqual([dirAfter.mode, dirAfter.uid, dirAfter.mtimeMs], [dirBefore.mode, dirBefore.uid, dirBefore.mtimeMs]);
  });
}
