// What hako keeps on disk carries a format version (src/util/format-version.ts): an older document is
// migrated (a document without a version is version 1, the layout before versions were written), a
// newer or unmigratable one is refused with one line naming its version, never misread. Checked for
// the generic reader and for each versioned document: the runtime's state.json, the engine's
// container.json and state.json, the image index.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FormatVersionError, readVersioned, stampVersion, type DocumentFormat } from '../../../src/util/format-version.js';
import { StateDir, STATE_FORMAT, type ContainerRecord } from '../../../src/runtime/state.js';
import { ContainerStore } from '../../../src/engine/store.js';
import type { ContainerConfig } from '../../../src/engine/types.js';
import { ContentStore } from '../../../src/storage/store/index.js';
import { readRecord } from '../../../src/network/attach.js';
import { HostIpam } from '../../../src/network/driver/ipam.js';

function tmp(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-format-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One line, naming the file and the version. */
function refusesNaming(version: number, file: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof FormatVersionError, `a FormatVersionError, got ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, new RegExp(`format version ${version}\\b`));
    assert.ok(e.message.includes(file), `names ${file}: ${e.message}`);
    return true;
  };
}

const V3: DocumentFormat = {
  what: 'test document',
  current: 3,
  migrations: {
    1: (d) => ({ ...d, b: `${d.a as string}!` }),
    2: (d) => ({ ...d, c: (d.b as string).length }),
  },
};

test('an older document is migrated step by step; no version means version 1', () => {
  assert.deepEqual(readVersioned({ a: 'x' }, 'f', V3), { a: 'x', b: 'x!', c: 2, formatVersion: 3 });
  assert.deepEqual(readVersioned({ a: 'x', b: 'yy', formatVersion: 2 }, 'f', V3), { a: 'x', b: 'yy', c: 2, formatVersion: 3 });
  assert.deepEqual(readVersioned({ c: 5, formatVersion: 3 }, 'f', V3), { c: 5, formatVersion: 3 });
  assert.deepEqual(stampVersion({ a: 1 }, V3), { a: 1, formatVersion: 3 });
});

test('a newer document, one older than the oldest migration, or a bad version is refused in one line', () => {
  assert.throws(() => readVersioned({ formatVersion: 4 }, '/x/f.json', V3), refusesNaming(4, '/x/f.json'));
  assert.throws(() => readVersioned({ formatVersion: 4 }, 'f', V3), /newer than this hako reads \(3\): use a newer hako/);
  const noOld: DocumentFormat = { what: 'test document', current: 3, migrations: { 2: (d) => d } };
  assert.throws(() => readVersioned({}, '/x/f.json', noOld), refusesNaming(1, '/x/f.json'));
  assert.throws(() => readVersioned({}, 'f', noOld), /too old for this hako \(it reads 2 to 3\)/);
  assert.throws(() => readVersioned({ formatVersion: '2' }, 'f', V3), FormatVersionError);
  assert.throws(() => readVersioned([1], 'f', V3), /not a JSON object/);
});

test('runtime state.json: written with its version, read without one (older), refused when newer', (t) => {
  const states = new StateDir(tmp(t));
  const rec: ContainerRecord = { id: 'c1', bundle: '/b', pid: 0, pidStartTime: '', created: 'now', status: 'creating', ownPidNamespace: true };
  states.claim('c1');
  states.write(rec);
  const file = path.join(states.dir('c1'), 'state.json');
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).formatVersion, STATE_FORMAT.current);
  fs.writeFileSync(file, JSON.stringify(rec)); // as hako wrote it before versions
  assert.equal(states.read('c1').bundle, '/b');
  fs.writeFileSync(file, JSON.stringify({ ...rec, formatVersion: STATE_FORMAT.current + 1 }));
  assert.throws(() => states.read('c1'), refusesNaming(STATE_FORMAT.current + 1, file));
});

test('engine container.json and state.json: versioned; a newer one is refused, not taken for missing', (t) => {
  const store = new ContainerStore(tmp(t));
  const id = 'a'.repeat(64);
  const cfg = {
    id,
    name: 'n',
    created: 'now',
    image: 'i',
    imageId: 'sha256:x',
    imageRef: 'i',
    options: {},
    path: 'sh',
    args: [],
  } as unknown as ContainerConfig;
  store.create(cfg);
  store.writeState(id, { status: 'exited', pid: 0, exitCode: 3, restartCount: 0 });
  const cfgFile = path.join(store.containerDir(id), 'container.json');
  const stFile = path.join(store.containerDir(id), 'state.json');
  assert.equal(JSON.parse(fs.readFileSync(cfgFile, 'utf8')).formatVersion, 1);
  assert.equal(JSON.parse(fs.readFileSync(stFile, 'utf8')).formatVersion, 1);
  const { formatVersion: _v, ...older } = JSON.parse(fs.readFileSync(stFile, 'utf8'));
  fs.writeFileSync(stFile, JSON.stringify(older));
  assert.equal(store.readState(id).exitCode, 3);
  fs.writeFileSync(stFile, JSON.stringify({ ...older, formatVersion: 2 }));
  assert.throws(() => store.readState(id), refusesNaming(2, stFile));
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, formatVersion: 2 }));
  assert.throws(() => store.readConfig(id), refusesNaming(2, cfgFile));
  assert.throws(() => store.resolve('n'), refusesNaming(2, cfgFile));
});

test('image index: a newer index is refused by its version, not reported as corrupt', (t) => {
  const s = new ContentStore(tmp(t));
  assert.deepEqual(s.listImages(), []);
  fs.mkdirSync(path.dirname(s.indexPath), { recursive: true });
  fs.writeFileSync(s.indexPath, JSON.stringify({ images: {} })); // no version: read as version 1
  assert.deepEqual(s.listImages(), []);
  fs.writeFileSync(s.indexPath, JSON.stringify({ version: 2, layout: 'something else' }));
  assert.throws(() => s.listImages(), refusesNaming(2, s.indexPath));
});

test('network files: the attachment record and the host-wide plan are refused when newer', (t) => {
  const dir = tmp(t);
  const record = path.join(dir, 'network-record.json');
  fs.writeFileSync(record, JSON.stringify({ version: 1, containerId: 'c', netns: '/n', entries: [] }));
  assert.equal(readRecord(record)?.containerId, 'c');
  fs.writeFileSync(record, JSON.stringify({ version: 2, containerId: 'c', netns: '/n', entries: [] }));
  assert.throws(() => readRecord(record), refusesNaming(2, record));
  const ipam = new HostIpam(dir);
  fs.writeFileSync(path.join(dir, 'ports.json'), JSON.stringify({ version: 7, ports: {} }));
  assert.throws(() => ipam.ports(), refusesNaming(7, path.join(dir, 'ports.json')));
});
