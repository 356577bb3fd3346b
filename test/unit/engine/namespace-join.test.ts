// Namespace joins (src/engine/namespace-join.ts): the flags, the joins a container's options ask
// for, config.json at create and as rewritten at start; the `pod=` ps filter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRunArgs } from '../../../src/engine/flags.js';
import { applyNamespaceModes, namespaceJoins, resolveJoins } from '../../../src/engine/namespace-join.js';
import { selectContainers, type PsEntry } from '../../../src/engine/ps-filter.js';
import type { Spec } from '../../../src/oci/types.js';

const IMG = 'hako.local/busybox';

test('--uts, --ipc and --pod are read and checked', () => {
  const o = parseRunArgs(['--uts', 'container:a', '--ipc', 'host', '--pod', 'new:p', IMG]);
  assert.equal(o.uts, 'container:a');
  assert.equal(o.ipc, 'host');
  assert.equal(o.pod, 'new:p');
  assert.equal(parseRunArgs(['--ipc', 'shareable', IMG]).ipc, undefined, 'shareable is our default');
  assert.throws(() => parseRunArgs(['--uts', 'container:', IMG]), /invalid argument "container:" for "--uts" flag: expected host, private or container:NAME/);
  assert.throws(() => parseRunArgs(['--ipc', 'x', IMG]), /for "--ipc" flag: expected host, private, shareable or container:NAME/);
  assert.throws(() => parseRunArgs(['--pod', 'new:', IMG]), /for "--pod" flag: a pod name or ID, or new:NAME/);
});

test('namespaceJoins lists every container: join; applyNamespaceModes prepares config.json', () => {
  const o = parseRunArgs(['--network', 'container:x', '--uts', 'container:y', '--ipc', 'host', IMG]);
  assert.deepEqual(namespaceJoins(o), [
    { type: 'network', ref: 'x' },
    { type: 'uts', ref: 'y' },
  ]);
  const spec: Spec = { ociVersion: '1.0.2', hostname: 'h', linux: { namespaces: [{ type: 'pid' }, { type: 'uts' }, { type: 'ipc' }, { type: 'mount' }] } };
  applyNamespaceModes(spec, o);
  assert.deepEqual(spec.linux!.namespaces!.map((n) => n.type).sort(), ['mount', 'pid', 'uts']);
  assert.equal(spec.hostname, undefined, 'a joined uts namespace is not named by us');
});

function bundle(spec: Spec): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-join-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
  return path.join(dir, 'config.json');
}

test('resolveJoins writes the paths at start: a pin when there is one, else /proc/PID/ns', async () => {
  const pin = bundle({ ociVersion: '1.0.2' }); // any existing file stands for a pin
  const file = bundle({ ociVersion: '1.0.2', hostname: 'h', linux: { namespaces: [{ type: 'network', path: '/old' }, { type: 'uts' }] } });
  const o = parseRunArgs(['--network', 'container:a', '--uts', 'container:b', '--ipc', 'container:b', IMG]);
  await resolveJoins(file, o, async (j) => (j.ref === 'a' ? { id: 'a', pid: 0, netnsPin: pin } : { id: 'b', pid: 4242 }));
  const spec = JSON.parse(fs.readFileSync(file, 'utf8')) as Spec;
  assert.deepEqual(spec.linux!.namespaces, [
    { type: 'network', path: pin },
    { type: 'uts', path: '/proc/4242/ns/uts' },
    { type: 'ipc', path: '/proc/4242/ns/ipc' },
  ]);
  assert.equal(spec.hostname, undefined);
  await assert.rejects(
    resolveJoins(file, o, async (j) => ({ id: j.ref, pid: 0 })),
    /^HakoError: --network container:a: that container is not running \(its network is not set up\)$/,
  );
  fs.rmSync(path.dirname(file), { recursive: true });
  fs.rmSync(path.dirname(pin), { recursive: true });
});

test("resolveJoins sets the container's own network namespace: a pin, or a new one", async () => {
  const file = bundle({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network', path: '/run/hako/netns/old' }] } });
  const o = parseRunArgs(['--network', 'none', IMG]);
  await resolveJoins(file, o, async () => assert.fail('no join'), 'new');
  assert.deepEqual((JSON.parse(fs.readFileSync(file, 'utf8')) as Spec).linux!.namespaces, [{ type: 'network' }]);
  await resolveJoins(file, o, async () => assert.fail('no join'), { path: '/run/hako/netns/new' });
  assert.deepEqual((JSON.parse(fs.readFileSync(file, 'utf8')) as Spec).linux!.namespaces, [{ type: 'network', path: '/run/hako/netns/new' }]);
  fs.rmSync(path.dirname(file), { recursive: true });
});

test('ps --filter pod= matches by pod name or ID prefix', () => {
  const entry = (id: string, pod?: string): PsEntry =>
    ({
      config: { id, name: id, created: id, options: { labels: {}, volumes: [], pod } },
      state: { status: 'running', pid: 1, exitCode: 0, restartCount: 0 },
    }) as unknown as PsEntry;
  const pods: Record<string, { id: string; name: string }> = { p1: { id: 'abc123', name: 'web' } };
  const ctx = {
    resolveImage: () => undefined,
    resolveContainer: (r: string) => r,
    health: () => 'none',
    networksOf: () => [],
    podOf: (e: PsEntry) => (e.config.options.pod ? pods[e.config.options.pod] : undefined),
  };
  const all = [entry('a', 'p1'), entry('b')];
  assert.deepEqual(
    selectContainers(all, { filters: ['pod=web'] }, ctx).map((e) => e.config.id),
    ['a'],
  );
  assert.deepEqual(
    selectContainers(all, { filters: ['pod=abc'] }, ctx).map((e) => e.config.id),
    ['a'],
  );
  assert.deepEqual(selectContainers(all, { filters: ['pod=other'] }, ctx), []);
});
