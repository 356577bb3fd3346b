// The Python `docker` package (Debian's python3-docker 5.0) against `hako system service`, with
// DOCKER_HOST=unix://… as its users set it: it pulls an image from the local registry (pushed
// there by hako's CLI), runs a container from it and reads its output, and builds an image.
// The client code is test/integration/api/docker-py.py; nothing in it knows about hako.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type EngineEnv, IMAGE, REPO, engineSkip, networkSkip } from '../engine/harness.js';
import { REGISTRY_BIN, type TestRegistry } from '../../fixtures/registry.js';
import { request, runClient, useApiService, type Service } from './service-fixture.js';

const hasDockerPy = fs.existsSync('/usr/lib/python3/dist-packages/docker/__init__.py');
const skip =
  engineSkip ||
  networkSkip ||
  (!fs.existsSync(REGISTRY_BIN) ? `${REGISTRY_BIN} missing (Debian docker-registry)` : false) ||
  (!hasDockerPy ? 'needs the Python docker package (Debian python3-docker)' : false);

let service!: Service;
let registry!: TestRegistry;
let env!: EngineEnv;
useApiService(skip, { registry: true }, (s) => {
  ({ env, service } = s);
  registry = s.registry!;
});

const SCRIPT = path.join(REPO, 'test', 'integration', 'api', 'docker-py.py');

/** Runs the client script with DOCKER_HOST; its JSON lines by step. */
async function dockerPy(args: string[]): Promise<Record<string, Record<string, unknown>>> {
  const r = await runClient('python3', [SCRIPT, ...args], {
    env: { ...process.env, DOCKER_HOST: service.dockerHost, DOCKER_CONFIG: env.root },
    timeoutMs: 60_000,
  });
  if (r.code !== 0) throw new Error(`docker-py.py ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}\nservice log:\n${service.log()}`);
  const steps: Record<string, Record<string, unknown>> = {};
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const v = JSON.parse(line) as Record<string, unknown>;
    steps[v.step as string] = v;
  }
  return steps;
}

test('docker-py pulls an image from the local registry with DOCKER_HOST=unix://…', { skip }, async () => {
  const ref = `${registry.host}/py/busybox:1`;
  env.ok(['tag', IMAGE, ref]);
  env.ok(['push', ref]);
  env.ok(['rmi', ref]);
  const steps = await dockerPy(['pull', ref]);
  assert.equal(steps.ping?.ok, true);
  assert.ok(((steps.pull?.tags ?? []) as string[]).includes(ref), JSON.stringify(steps.pull));
  assert.ok(((steps.list?.tags ?? []) as string[]).includes(ref));
  assert.equal(steps.pull?.id, JSON.parse(env.ok(['inspect', '--type', 'image', ref]))[0].Id);
});

test('docker-py runs a container from the pulled image and reads its output', { skip }, async (t) => {
  const probe = await request(service.socket, 'GET', '/v1.41/containers/json');
  if (probe.status === 404) return t.skip('the service has no containers endpoints on this branch (the api work adds them)');
  const ref = `${registry.host}/py/busybox:1`;
  const steps = await dockerPy(['run', ref]);
  assert.match(steps.run?.output as string, /^hello from [0-9a-f]{12} in python\n$/);
  assert.equal(steps.run?.status, 0);
  assert.deepEqual(steps.left?.containers, [], 'remove() removed it');
});

test('docker-py builds an image from a context in memory, with build args and labels', { skip }, async () => {
  const steps = await dockerPy(['build', 'py-built:1']);
  assert.deepEqual(steps.build?.tags, ['py-built:1']);
  assert.deepEqual(steps.build?.labels, { via: 'docker-py' });
  assert.equal(env.ok(['run', '--rm', '--network', 'none', 'py-built:1']), 'built for python\n');
});
