// The images, build, networks and volumes endpoints of `hako system service`, spoken as plain HTTP
// on its socket: docker's status codes and `{"message": …}` bodies for bad input, progress streams
// as docker's JSON lines, hostile build contexts (`..` names, symlinks and hard links out of the
// context) refused with nothing written outside it, and networks connected to containers that are
// not running as compose does it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip } from '../engine/harness.js';
import { REGISTRY_BIN, type TestRegistry } from '../../fixtures/registry.js';
import { tarBuffer, type RawEntry } from '../../fixtures/tar-writer.js';
import { request, useApiService, type Reply, type Service } from './service-fixture.js';

const skip = engineSkip || (!fs.existsSync(REGISTRY_BIN) ? `${REGISTRY_BIN} missing (Debian docker-registry)` : false);
let service!: Service;
let registry!: TestRegistry;
let env!: EngineEnv;
useApiService(skip, { registry: true }, (s) => {
  ({ env, service } = s);
  registry = s.registry!;
});

const call = (method: string, p: string, body?: unknown, headers?: Record<string, string>) => request(service.socket, method, `/v1.41${p}`, body, headers);

/** docker's error answer: the status and a `message` matching `re`. */
function expectError(r: Reply, status: number, re: RegExp): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.body.toString()}\n${service.log()}`);
  const m = (r.json as { message?: unknown } | undefined)?.message;
  assert.equal(typeof m, 'string', r.body.toString());
  assert.match(m as string, re);
}

const file = (name: string, data: string): RawEntry => ({ name, data });

test('images: list and inspect as docker shows them; 404 and 400 with a message', { skip }, async () => {
  const list = await call('GET', '/images/json');
  assert.equal(list.status, 200);
  const mine = (list.json as { Id: string; RepoTags: string[] }[]).find((i) => i.RepoTags.includes(IMAGE));
  assert.ok(mine, list.body.toString());
  const doc = (await call('GET', `/images/${IMAGE}/json`)).json as { Id: string; Config: { Cmd: string[] }; RootFS: { Layers: string[] } };
  assert.equal(doc.Id, mine.Id);
  assert.deepEqual(doc.Config.Cmd, ['sh']);
  assert.equal(doc.RootFS.Layers.length, 1);
  expectError(await call('GET', '/images/no-such-image:1/json'), 404, /No such image: no-such-image:1/);
  expectError(await call('POST', '/images/create'), 400, /fromImage/);
  expectError(await call('POST', '/images/create?fromImage=Bad%20Name'), 400, /invalid reference/);
  expectError(await call('POST', `/images/create?fromImage=${registry.host}/absent/image&tag=1`), 404, /repository does not exist/);
  expectError(await call('POST', `/images/${IMAGE}/tag`), 400, /repo is required/);
  expectError(await call('DELETE', '/images/no-such-image:1'), 404, /No such image/);
  expectError(await call('POST', '/images/no-such-image:1/push'), 404, /does not exist locally/);
  expectError(await call('POST', `/images/${IMAGE}/push`, undefined, { 'X-Registry-Auth': '%%%not-base64-json' }), 400, /X-Registry-Auth/);
  expectError(await call('GET', '/images/no-such-image:1/get'), 404, /No such image/);
});

test('images: tag, push with progress lines, remove, pull back with progress lines', { skip }, async () => {
  const ref = `${registry.host}/api/busybox`;
  assert.equal((await call('POST', `/images/${IMAGE}/tag?repo=${ref}&tag=7`)).status, 201);
  const pushed = await call('POST', `/images/${ref}/push?tag=7`, undefined, { 'X-Registry-Auth': Buffer.from('{}').toString('base64') });
  assert.equal(pushed.status, 200, pushed.body.toString());
  assert.equal(pushed.lines[0]?.status, `The push refers to repository [${ref}]`);
  const aux = (pushed.lines.find((l) => l.aux)?.aux ?? {}) as { Tag?: string; Digest?: string };
  assert.equal(aux.Tag, '7');
  assert.match(aux.Digest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.ok(!pushed.lines.some((l) => l.error), pushed.body.toString());

  const removed = await call('DELETE', `/images/${ref}:7`);
  assert.equal(removed.status, 200, removed.body.toString());
  assert.deepEqual(removed.json, [{ Untagged: `${ref}:7` }]);
  expectError(await call('GET', `/images/${ref}:7/json`), 404, /No such image/);

  const pulled = await call('POST', `/images/create?fromImage=${ref}&tag=7`);
  assert.equal(pulled.status, 200, pulled.body.toString());
  assert.deepEqual(pulled.lines[0], { status: 'Pulling from api/busybox', id: '7' });
  assert.equal(pulled.lines.at(-2)?.status, `Digest: ${aux.Digest}`);
  assert.match(pulled.lines.at(-1)?.status as string, new RegExp(`^Status: .* for ${ref}:7$`));
  assert.equal(
    ((await call('GET', `/images/${ref}:7/json`)).json as { Id: string }).Id,
    ((await call('GET', `/images/${IMAGE}/json`)).json as { Id: string }).Id,
  );
  assert.equal((await call('DELETE', `/images/${ref}:7`)).status, 200);
});

test('images: a container using an image makes its removal a 409', { skip }, async () => {
  assert.equal((await call('POST', `/images/${IMAGE}/tag?repo=inuse/busybox&tag=1`)).status, 201);
  const id = env.ok(['create', 'inuse/busybox:1', 'true']).trim();
  expectError(await call('DELETE', '/images/inuse/busybox:1'), 409, /in use/);
  env.ok(['rm', id]);
  assert.equal((await call('DELETE', '/images/inuse/busybox:1')).status, 200);
});

test('images: get and load round-trip an archive; garbage to load is a 400 that changes nothing', { skip }, async () => {
  const saved = await call('GET', `/images/get?names=${encodeURIComponent(IMAGE)}`);
  assert.equal(saved.status, 200);
  assert.equal(saved.headers['content-type'], 'application/x-tar');
  const names = saved.body.toString('latin1');
  for (const n of ['oci-layout', 'index.json', 'manifest.json']) assert.ok(names.includes(n), `${n} in the archive`);
  const before = (await call('GET', '/images/json')).body.toString();
  expectError(await call('POST', '/images/load', Buffer.from('this is not a tar archive at all')), 400, /invalid archive/);
  assert.equal((await call('GET', '/images/json')).body.toString(), before);
  assert.equal(fs.readdirSync(path.join(env.root, 'tmp')).length, 0, 'no temp files left');
  const loaded = await call('POST', '/images/load', saved.body);
  assert.equal(loaded.status, 200);
  assert.deepEqual(loaded.lines, [{ stream: `Loaded image: ${IMAGE}\n` }]);
});

/** The build directories left in the engine root: none once a build has ended. */
function buildLeftovers(): string[] {
  const dir = path.join(env.root, 'build');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n !== 'cache') : [];
}

test('build: a tar context gives docker stream lines, the aux ID and the tags; labels and args apply', { skip }, async () => {
  const ctx = tarBuffer([
    file('app/Dockerfile.api', `FROM ${IMAGE}\nARG GREETING=none\nCOPY hello.txt /hello.txt\nRUN echo "$GREETING" >> /hello.txt\nCMD ["cat", "/hello.txt"]\n`),
    file('hello.txt', 'from the context\n'),
  ]);
  const q = `t=api-built:1&dockerfile=app/Dockerfile.api&buildargs=${encodeURIComponent('{"GREETING":"hi"}')}&labels=${encodeURIComponent('{"made.by":"api"}')}`;
  const r = await call('POST', `/build?${q}`, ctx);
  assert.equal(r.status, 200, r.body.toString());
  assert.ok(!r.lines.some((l) => l.error), r.body.toString());
  const id = (r.lines.find((l) => l.aux)?.aux as { ID: string } | undefined)?.ID ?? '';
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.ok(r.lines.some((l) => l.stream === `Successfully built ${id.slice(7, 19)}\n`));
  assert.ok(r.lines.some((l) => l.stream === 'Successfully tagged api-built:1\n'));
  const doc = (await call('GET', '/images/api-built:1/json')).json as { Id: string; Config: { Labels: Record<string, string> } };
  assert.equal(doc.Id, id);
  assert.equal(doc.Config.Labels['made.by'], 'api');
  assert.equal(env.ok(['run', '--rm', '--network', 'none', 'api-built:1']), 'from the context\nhi\n');
  assert.deepEqual(buildLeftovers(), []);
  assert.equal((await call('DELETE', '/images/api-built:1')).status, 200);
});

test('build: hostile contexts are refused and nothing is written outside the context', { skip }, async () => {
  const outside = path.join(env.root, 'build', 'escaped');
  const df = file('Dockerfile', `FROM ${IMAGE}\nCOPY . /ctx\n`);
  // `..` in a member name
  expectError(await call('POST', '/build?t=evil:1', tarBuffer([df, file('../escaped', 'pwned')])), 400, /build context: .*"\.\." component not allowed/);
  // an absolute name
  expectError(await call('POST', '/build?t=evil:1', tarBuffer([df, file('/tmp/escaped', 'pwned')])), 400, /build context: .*absolute path not allowed/);
  // a symlink out, then a file written through it
  const through = await call(
    'POST',
    '/build?t=evil:1',
    tarBuffer([df, { name: 'out', type: '2', linkname: path.dirname(outside) }, file('out/escaped', 'pwned')]),
  );
  expectError(through, 400, /build context/);
  // a hard link to a host file
  expectError(await call('POST', '/build?t=evil:1', tarBuffer([df, { name: 'passwd', type: '1', linkname: '/etc/passwd' }])), 400, /build context/);
  // the Dockerfile a symlink to a host file: not followed
  expectError(await call('POST', '/build?t=evil:1', tarBuffer([{ name: 'Dockerfile', type: '2', linkname: '/etc/passwd' }])), 400, /no such regular file/);
  // dockerfile= naming a path out of the context
  expectError(await call('POST', '/build?t=evil:1&dockerfile=../../etc/passwd', tarBuffer([df])), 400, /inside the build context/);
  assert.ok(!fs.existsSync(outside), 'nothing written outside the context');
  assert.ok(!fs.existsSync('/tmp/escaped'));
  expectError(await call('GET', '/images/evil:1/json'), 404, /No such image/);

  // A symlink to the host's /etc inside the context is kept as a link: COPY through it finds nothing.
  const link = await call(
    'POST',
    '/build?t=evil:2',
    tarBuffer([file('Dockerfile', `FROM ${IMAGE}\nCOPY etc/passwd /stolen\n`), { name: 'etc', type: '2', linkname: '/etc' }]),
  );
  assert.equal(link.status, 200);
  assert.ok(link.lines.at(-1)?.error, `the build fails: ${link.body.toString()}`);
  expectError(await call('GET', '/images/evil:2/json'), 404, /No such image/);

  expectError(await call('POST', '/build?buildargs=%7Bnot-json', tarBuffer([df])), 400, /invalid buildargs/);
  expectError(await call('POST', '/build?remote=https://example.com/x.git'), 400, /remote/);
  assert.deepEqual(buildLeftovers(), []);
});

test('networks: create, inspect by ID prefix, filter by label, duplicate 409, default 403, missing 404', { skip }, async () => {
  const created = await call('POST', '/networks/create', { Name: 'apinet', CheckDuplicate: true, Labels: { 'com.example.k': 'v' }, Attachable: true });
  assert.equal(created.status, 201, created.body.toString());
  const id = (created.json as { Id: string }).Id;
  assert.match(id, /^[0-9a-f]{64}$/);
  const doc = (await call('GET', `/networks/${id.slice(0, 12)}`)).json as Record<string, unknown>;
  assert.equal(doc.Name, 'apinet');
  assert.equal(doc.Id, id);
  assert.equal(doc.Driver, 'bridge');
  assert.deepEqual(doc.Labels, { 'com.example.k': 'v' });
  assert.deepEqual(doc.Options, {});
  const filtered = (await call('GET', `/networks?filters=${encodeURIComponent('{"label":["com.example.k=v"]}')}`)).json as { Name: string }[];
  assert.deepEqual(
    filtered.map((n) => n.Name),
    ['apinet'],
  );
  expectError(await call('POST', '/networks/create', { Name: 'apinet' }), 409, /already exists/);
  expectError(await call('POST', '/networks/create', {}), 400, /Name is required/);
  expectError(await call('POST', '/networks/create', { Name: 'x1', Driver: 'overlay' }), 400, /only bridge/);
  expectError(await call('DELETE', '/networks/bridge'), 403, /pre-defined/);
  expectError(await call('GET', '/networks/no-such-net'), 404, /not found/);
  expectError(await call('DELETE', '/networks/no-such-net'), 404, /not found/);
  assert.equal((await call('DELETE', `/networks/${id}`)).status, 204);
  expectError(await call('GET', `/networks/${id}`), 404, /not found/);
});

test('networks: EnableIPv6 with an IPv4 and an IPv6 pool is a dual-stack network; an IPv6 pool alone is refused', { skip }, async () => {
  const tag = (0x1000 + Math.floor(Math.random() * 0xefff)).toString(16);
  const Config = [{ Subnet: `fd03:${tag}::/64`, Gateway: `fd03:${tag}::fe` }, { Subnet: `10.249.${1 + Math.floor(Math.random() * 250)}.0/24` }];
  const created = await call('POST', '/networks/create', { Name: 'apinet6', EnableIPv6: true, IPAM: { Config } });
  assert.equal(created.status, 201, created.body.toString());
  const doc = (await call('GET', '/networks/apinet6')).json as { EnableIPv6: boolean; IPAM: { Config: { Subnet: string; Gateway: string }[] } };
  assert.equal(doc.EnableIPv6, true);
  assert.deepEqual(doc.IPAM.Config[1], { Subnet: `fd03:${tag}::/64`, Gateway: `fd03:${tag}::fe` });
  expectError(await call('POST', '/networks/create', { Name: 'apinet6b', IPAM: { Config: [{ Subnet: 'fd04::/64' }] } }), 400, /an IPv6 subnet needs --ipv6/);
  expectError(
    await call('POST', '/networks/create', { Name: 'apinet6c', EnableIPv6: true, IPAM: { Config: [{ Subnet: 'fd04::/64' }, { Subnet: 'fd05::/64' }] } }),
    400,
    /at most one IPv4 and one IPv6/,
  );
  assert.equal((await call('DELETE', '/networks/apinet6')).status, 204);
});

test('networks: connect and disconnect a created container, as compose does before start', { skip }, async () => {
  assert.equal((await call('POST', '/networks/create', { Name: 'apinet2' })).status, 201);
  const id = env.ok(['create', '--network', 'apinet2', '--network-alias', 'svc', IMAGE, 'sh', '-c', 'cat /etc/hosts']).trim();
  const short = id.slice(0, 12);
  assert.equal((await call('POST', '/networks/apinet2/disconnect', { Container: id })).status, 200);
  expectError(await call('POST', '/networks/apinet2/disconnect', { Container: id }), 500, /not connected/);
  assert.equal((await call('POST', '/networks/apinet2/connect', { Container: id, EndpointConfig: { Aliases: ['svc', short] } })).status, 200);
  expectError(await call('POST', '/networks/apinet2/connect', { Container: 'no-such-container' }), 404, /no such container/i);
  expectError(await call('POST', '/networks/apinet2/connect', { Container: id, EndpointConfig: { Aliases: ['bad alias!'] } }), 400, /Aliases/);
  const hosts = env.ok(['start', '-a', id]);
  assert.match(hosts, new RegExp(`\\b${short}\\b`), `the alias given at connect is a name of the container: ${hosts}`);
  assert.match(hosts, /\bsvc\b/);
  // The exit command releases the lease after the container's exit: waited for, not raced.
  const containers = async () => Object.keys(((await call('GET', '/networks/apinet2')).json as { Containers: object }).Containers);
  for (const end = Date.now() + 15_000; (await containers()).length && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await containers(), [], 'an exited container holds no lease');
  env.ok(['rm', id]);
  const running = env.ok(['run', '-d', '--network', 'apinet2', IMAGE, 'sleep', '60']).trim();
  expectError(await call('DELETE', '/networks/apinet2'), 403, /active endpoints/);
  assert.equal((await call('POST', '/networks/apinet2/disconnect', { Container: running })).status, 200, 'a running container is disconnected at once');
  assert.doesNotMatch(env.ok(['exec', running, 'ip', '-o', '-4', 'addr', 'show']), /eth0/);
  env.ok(['rm', '-f', running]);
  const pruned = await call('POST', '/networks/prune');
  assert.ok((pruned.json as { NetworksDeleted: string[] }).NetworksDeleted.includes('apinet2'));
});

test('volumes: create, inspect, list by label, in use 409, missing 404, prune', { skip }, async () => {
  expectError(await call('POST', '/volumes/create', { Name: '../evil' }), 400, /invalid characters/);
  expectError(await call('POST', '/volumes/create', { Name: 'v1', Driver: 'nfs' }), 400, /not supported/);
  const v = await call('POST', '/volumes/create', { Name: 'apivol', Labels: { team: 'a' } });
  assert.equal(v.status, 201);
  assert.deepEqual(Object.keys(v.json as object).sort(), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.equal(((await call('GET', '/volumes/apivol')).json as { Labels: Record<string, string> }).Labels.team, 'a');
  const listed = (await call('GET', `/volumes?filters=${encodeURIComponent('{"label":["team=a"]}')}`)).json as { Volumes: { Name: string }[] };
  assert.deepEqual(
    listed.Volumes.map((x) => x.Name),
    ['apivol'],
  );
  const id = env.ok(['create', '-v', 'apivol:/data', IMAGE, 'true']).trim();
  expectError(await call('DELETE', '/volumes/apivol'), 409, /in use/);
  env.ok(['rm', id]);
  expectError(await call('GET', '/volumes/nope'), 404, /no such volume/);
  expectError(await call('DELETE', '/volumes/nope'), 404, /no such volume/);
  assert.equal((await call('DELETE', '/volumes/nope?force=1')).status, 204);
  const pruned = await call('POST', '/volumes/prune');
  assert.deepEqual((pruned.json as { VolumesDeleted: string[] }).VolumesDeleted, ['apivol']);
  expectError(await call('GET', '/volumes/apivol'), 404, /no such volume/);
});
