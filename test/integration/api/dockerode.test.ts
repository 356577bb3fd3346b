// dockerode (the npm Docker client testcontainers and many tools build on) against hako's socket,
// called exactly as its users call it, with DOCKER_HOST=unix://… (no hako-specific code): create,
// attach with a tty, start, copy a file in and out with the archive endpoints, exec, logs, remove.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import tar from 'tar-stream';
import { demux, engineSkip, IMAGE, useApiService, type ApiService } from './harness.js';

/** A tar with one file. */
function tarOf(name: string, content: string): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name, mode: 0o640 }, content);
  pack.finalize();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/** The files of a tar stream: name → content. */
function untar(stream: NodeJS.ReadableStream): Promise<Map<string, { mode: number; content: string }>> {
  const out = new Map<string, { mode: number; content: string }>();
  const extract = tar.extract();
  extract.on('entry', (h, s, next) => {
    let content = '';
    s.on('data', (c) => {
      content += String(c);
    });
    s.on('end', () => {
      out.set(h.name, { mode: h.mode ?? 0, content });
      next();
    });
  });
  stream.pipe(extract);
  return new Promise((resolve, reject) => {
    extract.on('finish', () => resolve(out));
    extract.on('error', reject);
  });
}

/** Reads `stream` until `text` has appeared (a hang guard, not a timing check). */
function readUntil(stream: NodeJS.ReadableStream, text: string | RegExp, ms = 15_000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${text} in ${JSON.stringify(seen)}`)), ms);
    const onData = (c: Buffer) => {
      seen += c.toString();
      if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) {
        clearTimeout(t);
        stream.off('data', onData);
        resolve(seen);
      }
    };
    stream.on('data', onData);
  });
}

describe('dockerode', { skip: engineSkip }, () => {
  let docker: Docker;
  let svc: ApiService;
  useApiService(engineSkip, (s) => {
    svc = s;
    process.env.DOCKER_HOST = s.dockerHost; // as a user points any docker client at hako
    docker = new Docker();
  });

  test('create, attach with a tty, start: the terminal answers what is typed', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sh'], Tty: true, OpenStdin: true, name: 'dockerode-tty' });
    const stream = await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true });
    await c.start();
    stream.write('echo sum=$((40+2)); tty\n');
    const seen = await readUntil(stream, /sum=42[\s\S]*\/dev\/pts\/\d+/);
    assert.match(seen, /sum=42/);
    await c.resize({ h: 33, w: 111 });
    stream.write('stty size\n');
    assert.match(await readUntil(stream, /33 111/), /33 111/);
    const ended = new Promise((r) => stream.once('end', r));
    stream.write('exit 7\n');
    await ended;
    assert.equal((await c.wait()).StatusCode, 7);
    assert.equal((await c.inspect()).State.ExitCode, 7);
    await c.remove();
  });

  test('a file copied in with putArchive and out with getArchive', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '600'], name: 'dockerode-files' });
    await c.start();
    await c.putArchive(await tarOf('greeting.txt', 'hello from the host\n'), { path: '/tmp' });
    const cat = await c.exec({ Cmd: ['cat', '/tmp/greeting.txt'], AttachStdout: true, AttachStderr: true });
    const out = new PassThrough();
    const execStream = await cat.start({ hijack: true, stdin: false });
    docker.modem.demuxStream(execStream, out, new PassThrough());
    assert.equal(await readUntil(out, '\n'), 'hello from the host\n');
    const files = await untar(await c.getArchive({ path: '/tmp/greeting.txt' }));
    assert.deepEqual([...files.keys()], ['greeting.txt']);
    assert.equal(files.get('greeting.txt')!.content, 'hello from the host\n');
    assert.equal(files.get('greeting.txt')!.mode & 0o777, 0o640);
    // HEAD: the path's stat in docker's header (base64 JSON, the mode as Go's os.FileMode).
    const head = (await c.infoArchive({ path: '/tmp/greeting.txt' })) as unknown as { headers: Record<string, string> };
    const stat = JSON.parse(Buffer.from(head.headers['x-docker-container-path-stat'], 'base64').toString());
    assert.equal(stat.name, 'greeting.txt');
    assert.equal(stat.size, 20);
    assert.equal(stat.mode, 0o640);
    await c.remove({ force: true });
  });

  test('exec: output framed per stream, exit code in the exec inspect, stdin', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '600'], name: 'dockerode-exec' });
    await c.start();
    const ex = await c.exec({ Cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], AttachStdout: true, AttachStderr: true });
    const stream = await ex.start({ hijack: true, stdin: false });
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(stream, out, err);
    const [o, e] = await Promise.all([readUntil(out, 'to-out\n'), readUntil(err, 'to-err\n')]);
    assert.equal(o, 'to-out\n');
    assert.equal(e, 'to-err\n');
    await new Promise((r) => stream.once('end', r));
    const inspected = await ex.inspect();
    assert.equal(inspected.ExitCode, 3);
    assert.equal(inspected.Running, false);

    const upper = await c.exec({ Cmd: ['tr', 'a-z', 'A-Z'], AttachStdin: true, AttachStdout: true });
    const io = await upper.start({ hijack: true, stdin: true });
    const upOut = new PassThrough();
    docker.modem.demuxStream(io, upOut, new PassThrough());
    io.end('shout\n'); // half-closes: tr reads EOF and exits
    assert.equal(await readUntil(upOut, 'SHOUT\n'), 'SHOUT\n');
    await c.remove({ force: true });
  });

  test('logs: stdout and stderr apart, tail, timestamps, follow to the exit', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; done; sleep 1; echo last'] });
    await c.start();
    const follow = (await c.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    const out = new PassThrough();
    const err = new PassThrough();
    docker.modem.demuxStream(follow, out, err);
    const [o, e] = await Promise.all([readUntil(out, 'last\n'), readUntil(err, 'err3\n')]);
    assert.equal(o, 'out1\nout2\nout3\nlast\n');
    assert.equal(e, 'err1\nerr2\nerr3\n');
    await c.wait();
    // tail counts the log's last lines, of both streams, before stdout=/stderr= choose (as docker's).
    const tail = demux((await c.logs({ stdout: true, stderr: true, tail: 2, timestamps: true })) as Buffer);
    assert.match(tail.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z last\n$/);
    assert.match(tail.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z err3\n$/);
    assert.equal(demux((await c.logs({ stdout: true, stderr: false, tail: 2 })) as Buffer).stdout, 'last\n');
    await c.remove();
  });

  test('list, inspect and remove as docker answers them', async () => {
    const c = await docker.createContainer({ Image: IMAGE, Cmd: ['sleep', '600'], Labels: { suite: 'dockerode' }, name: 'dockerode-list' });
    await c.start();
    const list = await docker.listContainers({ filters: { label: ['suite=dockerode'] } });
    assert.equal(list.length, 1);
    assert.deepEqual(list[0].Names, ['/dockerode-list']);
    assert.equal(list[0].State, 'running');
    const info = await c.inspect();
    assert.equal(info.Name, '/dockerode-list');
    assert.equal(info.State.Running, true);
    assert.deepEqual(info.Config.Cmd, ['sleep', '600']);
    await assert.rejects(c.remove(), (e: { statusCode?: number }) => e.statusCode === 409);
    await c.remove({ force: true });
    await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
    assert.equal(svc.log(), '', 'the service logged nothing (no internal errors)');
  });
});
