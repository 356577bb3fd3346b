// Image documents from registries and archives: wrong types fail as one line naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkImageConfig, checkIndex, checkManifest, parseDocument } from '../../../src/image/validate.js';
import { HakoError } from '../../../src/util/errors.js';

const D = `sha256:${'a'.repeat(64)}`;
const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D, size: 3 };
const manifest = { schemaVersion: 2, config: { ...desc, mediaType: 'application/vnd.oci.image.config.v1+json' }, layers: [desc] };
const config = {
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['A=1'], Cmd: ['sh'], Entrypoint: null, Labels: null },
  rootfs: { type: 'layers', diff_ids: [D] },
};
const line = (re: RegExp) => (e: unknown) => e instanceof HakoError && re.test(e.message) && !e.message.includes('\n');

test('valid documents pass, nulls become absent', () => {
  assert.equal(checkManifest('m', structuredClone(manifest)).layers.length, 1);
  assert.equal(checkIndex('i', { manifests: [{ ...desc, platform: { architecture: 'amd64', os: 'linux' } }] }).manifests.length, 1);
  const c = checkImageConfig('c', structuredClone(config));
  assert.deepEqual(c.config, { Env: ['A=1'], Cmd: ['sh'] });
});

test('wrong types are named by document and field', () => {
  assert.throws(() => checkManifest('manifest X', null), line(/^manifest X: \(the document\): must be an object \(got null\)$/));
  assert.throws(() => checkManifest('m', { ...manifest, schemaVersion: 1e308 }), line(/^m: schemaVersion: must be 2 \(got the number 1e\+308\)$/));
  assert.throws(() => checkManifest('m', { ...manifest, layers: [{ ...desc, size: -1 }] }), line(/^m: layers\[0\]\.size: must be a size in bytes/));
  assert.throws(() => checkManifest('m', { ...manifest, config: { ...desc, digest: 'x'.repeat(1000) } }), line(/^m: config\.digest: not a digest/));
  assert.throws(() => checkIndex('i', { manifests: 'x' }), line(/^i: manifests: must be an array \(got a string\)$/));
  assert.throws(() => checkImageConfig('c', { ...config, config: { Cmd: 0 } }), line(/^c: config\.Cmd: must be an array of strings \(got the number 0\)$/));
  assert.throws(() => checkImageConfig('c', { ...config, config: { Env: 'PATH=/bin' } }), line(/^c: config\.Env: must be an array of strings/));
  assert.throws(() => checkImageConfig('c', { ...config, config: { Env: ['A', 1] } }), line(/^c: config\.Env\[1\]: must be a string/));
  assert.throws(
    () => checkImageConfig('c', { ...config, config: { ExposedPorts: { '80/tcp': 5 } } }),
    line(/^c: config\.ExposedPorts\.80\/tcp: must be an object/),
  );
  assert.throws(() => checkImageConfig('c', { ...config, rootfs: null }), line(/^c: rootfs: missing$/));
  assert.throws(() => parseDocument('blob X', '{"a": '), line(/^blob X: invalid JSON \(/));
});
