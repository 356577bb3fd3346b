// The service's request handling without a socket: routes and version prefixes, docker's status
// codes for the engine's errors, the create body as `run` options, docker's stream frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../../src/api/router.js';
import { splitVersion } from '../../../src/api/version.js';
import { ApiError, statusOf } from '../../../src/api/errors.js';
import { runOptionsFromBody } from '../../../src/api/create-body.js';
import { frame } from '../../../src/api/streams.js';
import { HakoError } from '../../../src/util/errors.js';

test('routes match with parameters, greedy ones across slashes; HEAD falls back to GET', () => {
  const r = new Router();
  const h = () => {};
  r.get('/containers/{id}/json', h);
  r.get('/images/{name:.*}/json', h);
  r.post('/containers/create', h);
  assert.deepEqual((r.match('GET', '/containers/abc/json') as { params: unknown }).params, { id: 'abc' });
  assert.deepEqual((r.match('GET', '/images/localhost:5000/a/b:1/json') as { params: unknown }).params, { name: 'localhost:5000/a/b:1' });
  assert.ok('handler' in r.match('HEAD', '/containers/x/json'));
  assert.deepEqual(r.match('GET', '/containers/create'), { methods: ['POST'] });
  assert.deepEqual(r.match('GET', '/nowhere'), { methods: [] });
  assert.deepEqual((r.match('GET', '/containers/a%2Fb/json') as { params: unknown }).params, { id: 'a/b' });
});

test('version prefixes: served, too old, too new, malformed', () => {
  assert.deepEqual(splitVersion('/v1.41/containers/json'), { version: '1.41', path: '/containers/json' });
  assert.deepEqual(splitVersion('/containers/json'), { version: '1.41', path: '/containers/json' });
  assert.equal(splitVersion('/v1.44/_ping').version, '1.44');
  assert.throws(() => splitVersion('/v1.12/_ping'), /too old/);
  assert.throws(() => splitVersion('/v2.0/_ping'), /too new/);
});

test("the engine's errors get docker's status codes from their words", () => {
  assert.equal(statusOf(new HakoError('no such container: x')), 404);
  assert.equal(statusOf(new HakoError('could not find the file /x in container y')), 404);
  assert.equal(statusOf(new HakoError('the container name "/a" is already in use by container "b"')), 409);
  assert.equal(statusOf(new HakoError('cannot kill container a: container 123 is not running')), 409);
  assert.equal(statusOf(new HakoError('invalid argument "x" for "--memory" flag: expected a size')), 400);
  assert.equal(statusOf(new HakoError('exec: "x": executable file not found in $PATH')), 500);
  assert.equal(statusOf(new ApiError(413, 'too large')), 413);
  assert.equal(statusOf(new Error('a bug')), 500);
});

test("the create body becomes run's options; unsupported fields become warnings", () => {
  const { opts, warnings } = runOptionsFromBody(
    {
      Image: 'img',
      Cmd: ['a', 'b'],
      Entrypoint: ['/bin/sh', '-c'],
      Env: ['A=1', 'HOST_VAR'],
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Tty: true,
      OpenStdin: true,
      HostConfig: {
        Binds: ['/host:/in:ro'],
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '81/tcp': [{ HostPort: '' }] },
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
        NanoCpus: 500_000_000,
        Memory: 64 * 1024 * 1024,
        CapAdd: ['NET_ADMIN'],
        OomScoreAdj: 10,
      },
      NetworkingConfig: { EndpointsConfig: { net1: { Aliases: ['web'] } } },
    },
    'named',
  );
  assert.equal(opts.name, 'named');
  assert.deepEqual(opts.command, ['a', 'b']);
  assert.deepEqual(opts.entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(opts.env, ['A=1']);
  assert.deepEqual(opts.expose, ['80/tcp', '53/udp']);
  assert.ok(opts.tty && opts.interactive);
  assert.deepEqual(opts.volumes, [{ type: 'bind', source: '/host', target: '/in', readOnly: true, options: [] }]);
  assert.deepEqual(opts.publish, [
    { hostIP: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { hostIP: '', hostPort: 0, containerPort: 81, protocol: 'tcp' },
  ]);
  assert.deepEqual(opts.restart, { name: 'on-failure', maximumRetryCount: 3 });
  assert.equal(opts.cpus, 0.5);
  assert.equal(opts.memory, 64 * 1024 * 1024);
  assert.deepEqual(opts.capAdd, ['CAP_NET_ADMIN']);
  assert.deepEqual(opts.networkAliases, ['web']);
  assert.deepEqual(warnings, ['HostConfig.OomScoreAdj is not supported by hako and was ignored']);
  assert.throws(() => runOptionsFromBody({ Image: 'i', Env: 'A=1' }, null), /Env: expected an array/);
  assert.throws(() => runOptionsFromBody({ Image: 'i', HostConfig: { CapAdd: [1] } }, null), /HostConfig\.CapAdd: expected a list of strings/);
});

test("docker's stream frame: stream byte, three zeros, big-endian length", () => {
  assert.deepEqual([...frame(2, Buffer.from('hi'))], [2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
});
