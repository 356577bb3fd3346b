// The reported layer escapes (issue 12) end to end, as the attacker ran them: `hako import x.tar t`
// then `hako run --rm t true`, each tar carrying a working busybox plus the attack aimed at a
// sentinel tree outside the engine root. The sentinel must come out untouched; where hako refuses
// the image, it says so in one line and exits non-zero.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EngineEnv, built, hasConmon, isRoot } from '../engine/harness.js';
import { diffSnapshots, makeSentinel, sentinelUnavailable, snapshot } from '../../fixtures/sentinel.js';
import { header, tarBuffer, type RawEntry } from '../../fixtures/tar-writer.js';

const skip = !isRoot
  ? 'needs root'
  : sentinelUnavailable
    ? sentinelUnavailable
    : !hasConmon
      ? 'needs /usr/bin/conmon (Debian conmon)'
      : !built
        ? 'needs npm run build (dist/hako.cjs)'
        : false;
let env: EngineEnv;
let top: string;
before(() => {
  if (skip) return;
  env = new EngineEnv();
  top = mkdtempSync(join(tmpdir(), 'hako-attack-e2e-'));
  chmodSync(top, 0o755);
});
after(() => {
  if (skip) return;
  const left = env.cleanup();
  rmSync(top, { recursive: true, force: true });
  assert.deepEqual(left, []);
});

function busybox(): RawEntry[] {
  return [
    { name: 'bin/', type: '5' },
    { name: 'bin/busybox', type: '0', mode: 0o755, data: readFileSync('/bin/busybox') },
    { name: 'bin/true', type: '2', linkname: 'busybox' },
    { name: 'bin/sh', type: '2', linkname: 'busybox' },
  ];
}

interface E2ECase {
  name: string;
  attack(S: string): RawEntry[];
  raw?: (S: string) => Buffer;
}

const CASES: E2ECase[] = [
  {
    name: 'reported 1: queued directory metadata through a later symlink',
    attack: (S) => [
      { name: 'e/', type: '5' },
      { name: 'e/victim/', type: '5', mode: 0o4777, uid: 1234, gid: 1234 },
      { name: 'e', type: '2', linkname: `${S}/dir` },
    ],
  },
  {
    name: 'reported 2: directory metadata onto a host file',
    attack: (S) => [
      { name: 'd/', type: '5', mode: 0o777, mtime: 0 },
      { name: 'd', type: '2', linkname: `${S}/file` },
    ],
  },
  {
    name: 'reported 3: device node through a later symlink',
    attack: (S) => [
      { name: 'm/', type: '5' },
      { name: 'm/x', type: '3', mode: 0o666, devmajor: 1, devminor: 1 },
      { name: 'm', type: '2', linkname: `${S}/dir` },
    ],
  },
  {
    name: 'reported 4: whiteout node through a later symlink',
    attack: (S) => [
      { name: 'w/', type: '5' },
      { name: 'w/.wh.gone', type: '0' },
      { name: 'w', type: '2', linkname: `${S}/dir` },
    ],
  },
  {
    name: 'reported 4: PAX xattr through a later symlink',
    attack: (S) => [
      { name: 'x/', type: '5' },
      { name: 'x/victim', type: '0', data: 'layer', pax: { 'SCHILY.xattr.user.pwned': Buffer.from([0xde, 0xad]) } },
      { name: 'x', type: '2', linkname: `${S}/dir` },
    ],
  },
  {
    name: 'opaque marker through a later symlink',
    attack: (S) => [
      { name: 'o/sub/.wh..wh..opq', type: '0' },
      { name: 'o', type: '2', linkname: `${S}/dir` },
    ],
  },
  {
    name: 'a layer cut short in the middle of a file',
    attack: () => [],
    raw: (S) =>
      Buffer.concat([
        tarBuffer([...busybox(), { name: 'e/', type: '5' }, { name: 'e/victim/', type: '5', mode: 0o4777 }, { name: 'e', type: '2', linkname: `${S}/dir` }], {
          end: false,
        }),
        header({ name: 'cut', type: '0' }, 10_000),
        Buffer.alloc(1000, 0x61),
      ]),
  },
  { name: 'a 3000-level deep path', attack: () => [{ name: 'short', type: '0', data: 'x', pax: { path: `${'d/'.repeat(3000)}f` } }] },
  {
    name: 'a layer cut short in the middle of a header',
    attack: () => [],
    raw: () => Buffer.concat([tarBuffer(busybox(), { end: false }), header({ name: 'half', type: '0' }, 0).subarray(0, 200)]),
  },
];

for (const [i, c] of CASES.entries()) {
  test(`hako import + run: ${c.name}`, { skip, timeout: 120_000 }, async () => {
    const S = join(top, `sentinel-${i}`);
    await makeSentinel(S);
    const before = await snapshot(S);
    const tar = join(top, `attack-${i}.tar`);
    writeFileSync(tar, c.raw ? c.raw(S) : tarBuffer([...busybox(), ...c.attack(S)]));
    const ref = `hako.local/attack-${i}:1`;
    const imp = env.hako(['import', tar, ref]);
    const run = imp.code === 0 ? env.hako(['run', '--rm', '--network', 'none', ref, 'true'], { timeout: 60_000 }) : imp;
    const diffs = diffSnapshots(before, await snapshot(S));
    // Half-unpacked layers are removed before any assertion, so that one failure does not cascade.
    const layers = join(env.root, 'layers');
    const half = existsSync(layers) ? readdirSync(layers).filter((n) => n.includes('.tmp-')) : [];
    for (const h of half) spawnSync('rm', ['-rf', join(layers, h)]); // (deep trees defeat rmSync)
    assert.deepEqual(diffs, [], `the sentinel changed (import exit ${imp.code}, run exit ${run.code}: ${run.stderr.trim().slice(0, 300)})`);
    assert.deepEqual(half, [], 'no half-unpacked layer is left behind');
    if (run.code !== 0) {
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `a refusal is one line: ${JSON.stringify(run.stderr.slice(0, 500))}`);
      assert.doesNotMatch(run.stderr, /\n\s+at |internal error/i);
    }
    if (c.raw) assert.notEqual(run.code, 0, `a truncated layer must not run (stderr: ${JSON.stringify(run.stderr.slice(0, 300))})`);
  });
}
