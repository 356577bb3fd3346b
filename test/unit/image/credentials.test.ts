import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authFiles, hakoAuthFile, dockerConfigFile, findCredentials, saveCredentials, removeCredentials } from '../../../src/image/registry/credentials.js';

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-creds-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('which files: hako auth.json first, docker config.json second; REGISTRY_AUTH_FILE replaces both', () => {
  assert.deepEqual(authFiles({ HOME: '/home/u' }), ['/home/u/.config/hako/auth.json', '/home/u/.docker/config.json']);
  assert.deepEqual(authFiles({ HOME: '/home/u', XDG_CONFIG_HOME: '/x', DOCKER_CONFIG: '/d' }), ['/x/hako/auth.json', '/d/config.json']);
  assert.deepEqual(authFiles({ HOME: '/home/u', REGISTRY_AUTH_FILE: '/a/b.json' }), ['/a/b.json']);
  assert.equal(hakoAuthFile({ HOME: '/h' }), '/h/.config/hako/auth.json');
  assert.equal(dockerConfigFile({ HOME: '/h' }), '/h/.docker/config.json');
});

test('save writes podman/docker auth format, mode 0600, keeps other entries and keys; remove deletes one', (t) => {
  const dir = tmp(t);
  const file = path.join(dir, 'sub', 'auth.json');
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, JSON.stringify({ auths: { 'other:1': { auth: Buffer.from('o:p').toString('base64') } }, credHelpers: { x: 'y' } }));
  saveCredentials('127.0.0.1:5000', { username: 'alice', password: 'pa:ss' }, file);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(doc.auths['127.0.0.1:5000'].auth, Buffer.from('alice:pa:ss').toString('base64'));
  assert.ok(doc.auths['other:1']);
  assert.deepEqual(doc.credHelpers, { x: 'y' });
  // A second login replaces the entry, also one written with a scheme by docker.
  saveCredentials('http://127.0.0.1:5000', { username: 'bob', password: 'pw' }, file);
  assert.deepEqual(findCredentials('127.0.0.1:5000', [file]), { username: 'bob', password: 'pw' });
  assert.equal(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).auths).length, 2);
  assert.equal(removeCredentials('127.0.0.1:5000', file), true);
  assert.equal(removeCredentials('127.0.0.1:5000', file), false);
  assert.equal(findCredentials('127.0.0.1:5000', [file]), undefined);
  assert.ok(findCredentials('other:1', [file]));
});

test('find: the first file with an entry wins; docker config.json is read when hako has none', (t) => {
  const dir = tmp(t);
  const hako = path.join(dir, 'auth.json');
  const docker = path.join(dir, 'config.json');
  fs.writeFileSync(
    docker,
    JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:x').toString('base64') }, 'r:1': { username: 'u', password: 'p' } } }),
  );
  assert.deepEqual(findCredentials('docker.io', [hako, docker]), { username: 'hub', password: 'x' });
  saveCredentials('docker.io', { username: 'mine', password: 'y' }, hako);
  assert.deepEqual(findCredentials('docker.io', [hako, docker]), { username: 'mine', password: 'y' });
  assert.deepEqual(findCredentials('r:1', [hako, docker]), { username: 'u', password: 'p' });
  fs.writeFileSync(hako, '[1]');
  assert.throws(() => findCredentials('r:1', [hako, docker]), /auth\.json: expected a JSON object/);
});
