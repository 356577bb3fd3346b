// The container endpoints as docker's clients drive them, over plain HTTP: create with docker's
// body, wait before start (next-exit), attach without a tty (docker's framing, logs=1), kill with a
// signal, restart, pause/unpause, rename, top, stats, events, changes, prune, system/df.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { demux, engineSkip, IMAGE, request, useApiService, type ApiService } from './harness.js';

const json = (v: unknown) => JSON.stringify(v);

/** A hijacked request (Connection: Upgrade): everything the server sends until it closes. */
function hijack(socket: string, path: string, body = '', input?: string): Promise<{ head: string; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socket);
    c.write(
      `POST ${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${body}`,
    );
    if (input !== undefined) c.end(input);
    const chunks: Buffer[] = [];
    c.on('data', (d) => chunks.push(d));
    c.on('error', reject);
    c.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      resolve({ head: all.subarray(0, end).toString(), data: all.subarray(end + 4) });
    });
  });
}

describe('docker API: containers', { skip: engineSkip }, () => {
  let svc: ApiService;
  useApiService(engineSkip, (s) => {
    svc = s;
  });
  const req = (method: string, p: string, body?: string) => request(svc.socket, method, p, body);

  test("create takes docker's body: Entrypoint, Env, WorkingDir, User, Labels, HostConfig", async () => {
    const body = {
      Image: IMAGE,
      Entrypoint: ['sh', '-c'],
      Cmd: ['echo "$GREETING $(pwd) $(id -u) $(cat /proc/self/cgroup >/dev/null && echo ok)"; cat /sys/fs/cgroup/pids.max 2>/dev/null || true'],
      Env: ['GREETING=hi'],
      WorkingDir: '/tmp',
      User: '1000',
      Labels: { app: 'x' },
      HostConfig: { PidsLimit: 64, Memory: 64 * 1024 * 1024, CapDrop: ['ALL'], CpuCount: 2 },
    };
    const c = await req('POST', '/v1.41/containers/create?name=api-create', json(body));
    assert.equal(c.status, 201, c.body.toString());
    assert.deepEqual(c.json().Warnings, ['HostConfig.CpuCount is not supported by hako and was ignored']);
    const info = (await req('GET', '/containers/api-create/json')).json();
    assert.deepEqual(info.Config.Entrypoint, ['sh', '-c']);
    assert.equal(info.Config.WorkingDir, '/tmp');
    assert.equal(info.Config.User, '1000');
    assert.deepEqual(info.Config.Labels, { app: 'x' });
    assert.ok(info.Config.Env.includes('GREETING=hi'));
    assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
    assert.equal(info.HostConfig.PidsLimit, 64);
    // docker's clients wait (next-exit) before they start.
    const waited = req('POST', '/containers/api-create/wait?condition=next-exit');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await req('POST', '/containers/api-create/start')).status, 204);
    const w = await waited;
    assert.deepEqual(w.json(), { StatusCode: 0, Error: null });
    const logs = demux((await req('GET', '/containers/api-create/logs?stdout=1&stderr=1')).body);
    assert.match(logs.stdout, /^hi \/tmp 1000 ok\n(64\n)?$/);
    assert.equal((await req('DELETE', '/containers/api-create')).status, 204);
  });

  test("attach without a tty: docker's frames, logs=1 replays, stdin reaches the container", async () => {
    const c = await req(
      'POST',
      '/containers/create?name=api-attach',
      json({ Image: IMAGE, Cmd: ['sh', '-c', 'echo before; read line; echo "got $line"; echo bye >&2'], OpenStdin: true, StdinOnce: true }),
    );
    assert.equal(c.status, 201);
    const attached = hijack(svc.socket, '/v1.41/containers/api-attach/attach?stream=1&stdin=1&stdout=1&stderr=1', '', 'hello\n');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await req('POST', '/containers/api-attach/start')).status, 204);
    const a = await attached;
    assert.match(a.head, /^HTTP\/1\.1 101 UPGRADED/);
    assert.match(a.head, /Content-Type: application\/vnd\.docker\.raw-stream/);
    assert.deepEqual(demux(a.data), { stdout: 'before\ngot hello\n', stderr: 'bye\n' });
    // Attached after the exit with logs=1: the whole output again, then the end.
    const again = await hijack(svc.socket, '/v1.44/containers/api-attach/attach?logs=1&stdout=1&stderr=1');
    assert.match(again.head, /multiplexed-stream/);
    assert.deepEqual(demux(again.data), { stdout: 'before\ngot hello\n', stderr: 'bye\n' });
    assert.equal((await req('DELETE', '/containers/api-attach')).status, 204);
  });

  test('kill with a signal, restart, pause and unpause, rename, top', async () => {
    const trap = 'trap "echo got-usr1" USR1; echo ready; while true; do sleep 0.1; done';
    assert.equal((await req('POST', '/containers/create?name=api-life', json({ Image: IMAGE, Cmd: ['sh', '-c', trap] }))).status, 201);
    assert.equal((await req('POST', '/containers/api-life/start')).status, 204);
    assert.equal((await req('POST', '/containers/api-life/start')).status, 304);
    assert.equal((await req('POST', '/containers/api-life/kill?signal=SIGUSR1')).status, 204);
    for (const end = Date.now() + 10_000; !demux((await req('GET', '/containers/api-life/logs?stdout=1')).body).stdout.includes('got-usr1'); ) {
      assert.ok(Date.now() < end, 'the signal was not delivered');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await req('POST', '/containers/api-life/kill?signal=NOPE')).status, 400);
    const top = (await req('GET', '/containers/api-life/top')).json();
    assert.deepEqual(top.Titles.slice(0, 2), ['UID', 'PID']);
    assert.ok(top.Processes.some((p: string[]) => p[p.length - 1].startsWith('sh -c')));
    assert.equal((await req('POST', '/containers/api-life/pause')).status, 204);
    assert.equal((await req('GET', '/containers/api-life/json')).json().State.Status, 'paused');
    assert.equal((await req('GET', '/containers/json?filters=%7B%22status%22%3A%5B%22paused%22%5D%7D')).json().length, 1);
    assert.equal((await req('POST', '/containers/api-life/unpause')).status, 204);
    const pid = (await req('GET', '/containers/api-life/json')).json().State.Pid;
    assert.equal((await req('POST', '/containers/api-life/restart?t=1')).status, 204);
    const after = (await req('GET', '/containers/api-life/json')).json().State;
    assert.equal(after.Running, true);
    assert.notEqual(after.Pid, pid);
    assert.equal((await req('POST', '/containers/api-life/rename?name=api-life2')).status, 204);
    assert.equal((await req('GET', '/containers/api-life2/json')).json().Name, '/api-life2');
    assert.equal((await req('DELETE', '/containers/api-life2?force=1')).status, 204);
  });

  test('stop?signal= (API 1.42): that signal instead of the stop signal; an unknown one is 400', async () => {
    const trap = "trap 'exit 3' USR2; while true; do sleep 0.1; done";
    assert.equal((await req('POST', '/containers/create?name=api-stopsig', json({ Image: IMAGE, Cmd: ['sh', '-c', trap] }))).status, 201);
    assert.equal((await req('POST', '/containers/api-stopsig/start')).status, 204);
    assert.equal((await req('POST', '/containers/api-stopsig/stop?signal=NOPE')).status, 400);
    assert.equal((await req('GET', '/containers/api-stopsig/json')).json().State.Running, true);
    assert.equal((await req('POST', '/containers/api-stopsig/stop?signal=SIGUSR2&t=20')).status, 204);
    assert.equal((await req('GET', '/containers/api-stopsig/json')).json().State.ExitCode, 3);
    assert.equal((await req('DELETE', '/containers/api-stopsig')).status, 204);
  });

  test("stats: one document or a stream, in docker's shape", async () => {
    assert.equal((await req('POST', '/containers/create?name=api-stats', json({ Image: IMAGE, Cmd: ['sleep', '600'] }))).status, 201);
    assert.equal((await req('POST', '/containers/api-stats/start')).status, 204);
    const one = (await req('GET', '/containers/api-stats/stats?stream=false')).json();
    assert.equal(one.name, '/api-stats');
    assert.ok(one.memory_stats.usage > 0);
    assert.ok(one.cpu_stats.system_cpu_usage > 0);
    assert.ok(one.pids_stats.current >= 1);
    assert.ok(one.precpu_stats.cpu_usage.total_usage > 0, 'stream=false has the previous sample');
    const docs = await new Promise<unknown[]>((resolve, reject) => {
      http
        .get({ socketPath: svc.socket, path: '/containers/api-stats/stats' }, (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
            const lines = text.split('\n').filter(Boolean);
            if (lines.length >= 2) {
              res.destroy();
              resolve(lines.map((l) => JSON.parse(l)));
            }
          });
        })
        .on('error', reject);
    });
    assert.equal(docs.length, 2);
    assert.equal((await req('DELETE', '/containers/api-stats?force=1')).status, 204);
  });

  test('events stream what happens, with filters; changes, prune and system/df', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    assert.equal((await req('POST', '/containers/create?name=api-events', json({ Image: IMAGE, Cmd: ['sh', '-c', 'echo x > /made-here'] }))).status, 201);
    assert.equal((await req('POST', '/containers/api-events/start')).status, 204);
    assert.equal((await req('POST', '/containers/api-events/wait')).json().StatusCode, 0);
    const until = Math.floor(Date.now() / 1000) + 1;
    const filters = encodeURIComponent(json({ container: ['api-events'], event: ['start', 'die'] }));
    const events = (await req('GET', `/events?since=${since}&until=${until}&filters=${filters}`)).body
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      events.map((e) => [e.Type, e.Action, e.Actor.Attributes.name]),
      [
        ['container', 'start', 'api-events'],
        ['container', 'die', 'api-events'],
      ],
    );
    assert.equal(events[0].status, 'start', "docker's older fields too");
    const changes = (await req('GET', '/containers/api-events/changes')).json();
    assert.ok(
      changes.some((c: { Path: string; Kind: number }) => c.Path === '/made-here' && c.Kind === 1),
      JSON.stringify(changes),
    );
    const df = (await req('GET', '/system/df')).json();
    assert.ok(df.Containers.some((c: { Names: string[]; SizeRw: number }) => c.Names[0] === '/api-events' && c.SizeRw > 0));
    assert.ok(df.Images.length >= 1);
    const pruned = (await req('POST', '/containers/prune')).json();
    assert.ok(pruned.ContainersDeleted.length >= 1);
    assert.equal((await req('GET', '/containers/api-events/json')).status, 404);
    assert.equal(svc.log(), '', 'the service logged nothing (no internal errors)');
  });
});
