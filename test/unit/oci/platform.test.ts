import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectPlatform, parsePlatform, hostPlatform } from '../../../src/oci/image/platform.js';
import type { Descriptor, Platform } from '../../../src/oci/image/types.js';

const d = (n: number, platform?: Platform): Descriptor => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${String(n).repeat(64).slice(0, 64)}`,
  size: 1,
  ...(platform ? { platform } : {}),
});
const L = (architecture: string, variant?: string, os = 'linux'): Platform => ({ os, architecture, ...(variant ? { variant } : {}) });

test('picks the matching os/arch and skips entries without a platform', () => {
  const list = [d(1), d(2, L('arm64', 'v8')), d(3, L('amd64')), d(4, L('amd64', undefined, 'windows'))];
  assert.equal(selectPlatform(list, L('amd64')).digest, list[2].digest);
  assert.equal(selectPlatform(list, L('arm64')).digest, list[1].digest);
});

test('arm64 without a variant equals v8', () => {
  const list = [d(1, L('arm64'))];
  assert.equal(selectPlatform(list, L('arm64', 'v8')).digest, list[0].digest);
});

test('arm/v7 prefers v7, then falls back to v6; arm/v6 never takes v7', () => {
  const list = [d(1, L('arm', 'v6')), d(2, L('arm', 'v7'))];
  assert.equal(selectPlatform(list, L('arm', 'v7')).digest, list[1].digest);
  assert.equal(selectPlatform([list[0]], L('arm', 'v7')).digest, list[0].digest);
  assert.throws(() => selectPlatform([list[1]], L('arm', 'v6')), /no manifest for platform linux\/arm\/v6 \(available: linux\/arm\/v7\)/);
});

test('amd64 host takes the variant-less entry, not v3', () => {
  const list = [d(1, L('amd64', 'v3')), d(2, L('amd64'))];
  assert.equal(selectPlatform(list, L('amd64')).digest, list[1].digest);
  assert.throws(() => selectPlatform([list[0]], L('amd64')), /no manifest/);
  assert.equal(selectPlatform(list, L('amd64', 'v3')).digest, list[0].digest);
});

test('no match names what is available', () => {
  assert.throws(
    () => selectPlatform([d(1, L('s390x')), d(2, L('ppc64le'))], L('amd64'), 'x:1'),
    /^HakoError: x:1: no manifest for platform linux\/amd64 \(available: linux\/s390x, linux\/ppc64le\)$/,
  );
});

test('parsePlatform and hostPlatform', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('amd64'), { os: 'linux', architecture: 'amd64' });
  assert.throws(() => parsePlatform('linux//x'), /invalid platform/);
  const h = hostPlatform();
  assert.equal(h.os, 'linux');
  assert.ok(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64', 'loong64'].includes(h.architecture));
});
