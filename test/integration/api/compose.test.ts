// Debian's docker-compose 1.29 against `hako system service`, with DOCKER_HOST=unix://… as its
// users set it: a two-service project (a busybox httpd serving a file, and a client that fetches it
// by the service's name over the project's network), then `ps`, `logs` and `down`, after which
// nothing of the project is left (containers, network). compose creates each container on the
// project network with the service name as an alias, then disconnects and connects it again with
// its short ID added before it starts it: the networks endpoints' connect of a created container.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip, networkSkip, useEngineEnv, type Result } from '../engine/harness.js';
import { request, runClient, startService, type Service } from './service-fixture.js';

const COMPOSE = '/usr/bin/docker-compose';
const skip = engineSkip || networkSkip || (!fs.existsSync(COMPOSE) ? `${COMPOSE} missing (Debian docker-compose)` : false);

let service: Service;
let project: string;
after(async () => {
  await service?.stop();
  if (project) fs.rmSync(project, { recursive: true, force: true });
});
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});
before(async () => {
  if (skip) return;
  service = await startService(env.root);
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-compose-'));
  fs.writeFileSync(
    path.join(project, 'docker-compose.yml'),
    [
      'version: "3.8"',
      'services:',
      '  web:',
      `    image: ${IMAGE}`,
      '    command: ["sh", "-c", "mkdir -p /www && echo served-by-web > /www/index.html && exec httpd -f -v -p 8080 -h /www"]',
      '  client:',
      `    image: ${IMAGE}`,
      '    depends_on: [web]',
      // The web service may need a moment to listen: the client retries for up to 10 s.
      '    command: ["sh", "-c", "for i in $$(seq 1 50); do wget -q -O - http://web:8080/ && exit 0; sleep 0.2; done; exit 1"]',
      '',
    ].join('\n'),
  );
});

/** docker-compose in the project directory with DOCKER_HOST and nothing else of hako. */
function compose(args: string[]): Promise<Result> {
  return runClient(COMPOSE, ['-p', 'hakoapi', '--ansi', 'never', ...args], {
    cwd: project,
    env: { ...process.env, DOCKER_HOST: service.dockerHost, DOCKER_CONFIG: project, COMPOSE_INTERACTIVE_NO_CLI: '1' },
    timeoutMs: 90_000,
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await compose(args);
  if (r.code !== 0) throw new Error(`docker-compose ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}\nservice log:\n${service.log()}`);
  return r.stdout + r.stderr;
}

test('docker-compose up, ps, logs and down: two services find each other by name', { skip }, async (t) => {
  const probe = await request(service.socket, 'GET', '/v1.41/containers/json');
  if (probe.status === 404) return t.skip('the service has no containers endpoints on this branch (the api work adds them)');
  await ok(['up', '-d']);
  // The client exits once it has fetched the page (or gives up after 10 s): waited for through the
  // API (each compose command costs seconds of Python start-up on a busy machine).
  const byService = (svc: string) => encodeURIComponent(JSON.stringify({ label: ['com.docker.compose.project=hakoapi', `com.docker.compose.service=${svc}`] }));
  const clientState = async () =>
    ((await request(service.socket, 'GET', `/v1.41/containers/json?all=1&filters=${byService('client')}`)).json as { State: string }[])[0]?.State;
  for (const end = Date.now() + 30_000; (await clientState()) !== 'exited' && Date.now() < end; ) await new Promise((r) => setTimeout(r, 200));
  const ps = await ok(['ps']);
  assert.match(ps, /hakoapi_client_1\s.*\bExit 0\b/, ps);
  assert.match(ps, /hakoapi_web_1\s.*\bUp\b/, ps);
  const logs = await ok(['logs', 'client']);
  assert.match(logs, /client_1\s+\|\s+served-by-web/, logs);
  // compose connected the web container again with its short ID as an alias before starting it.
  const web = ((await request(service.socket, 'GET', `/v1.41/containers/json?filters=${byService('web')}`)).json as { Id: string }[])[0]?.Id ?? '';
  const doc = (await request(service.socket, 'GET', `/v1.41/containers/${web}/json`)).json as {
    NetworkSettings: { Networks: Record<string, { Aliases: string[] }> };
  };
  assert.ok(doc.NetworkSettings.Networks.hakoapi_default?.Aliases.includes(web.slice(0, 12)), JSON.stringify(doc.NetworkSettings));

  await ok(['down', '--timeout', '1']); // httpd as PID 1 ignores SIGTERM: no 10 s wait for the KILL
  assert.equal(env.ok(['ps', '-aq']), '', 'down removed every container');
  assert.doesNotMatch(env.ok(['network', 'ls', '-q']), /hakoapi_default/, 'down removed the project network');
});
