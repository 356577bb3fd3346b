// The Docker API tests' set-up: an engine root (the engine harness's EngineEnv: busybox image,
// cleanup that checks nothing is left) served by the compiled `hako system service` on a socket in a
// temp directory — the way users run it — and `DOCKER_HOST=unix://…` for the clients.
import { after, before } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { HAKO, useEngineEnv, type EngineEnv } from '../engine/harness.js';

export { engineSkip, IMAGE } from '../engine/harness.js';

export interface ApiService {
  env: EngineEnv;
  socket: string;
  /** `unix:///…/docker.sock`, for DOCKER_HOST. */
  dockerHost: string;
  /** The service's stderr so far. */
  log(): string;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): any;
}

/** One HTTP request on the socket. */
export function request(socket: string, method: string, urlPath: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // agent: false: a connection per request, closed after it (no keep-alive holding the service up).
    const req = http.request(
      { socketPath: socket, method, path: urlPath, agent: false, headers: { 'Content-Type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, json: () => JSON.parse(b.toString()) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts `hako system service` on a socket of its own and waits until it answers. */
export async function startService(root: string, extra: string[] = []): Promise<{ child: ChildProcess; socket: string; dir: string; stderr: () => string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-api-'));
  const socket = path.join(dir, 'docker.sock');
  const child = spawn(HAKO, ['--root', root, 'system', 'service', ...extra, `unix://${socket}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  for (const end = Date.now() + 15_000; ; ) {
    if (child.exitCode !== null) throw new Error(`hako system service exited ${child.exitCode}: ${stderr}`);
    const ok =
      fs.existsSync(socket) &&
      (await request(socket, 'GET', '/_ping').then(
        (r) => r.status === 200,
        () => false,
      ));
    if (ok) break;
    if (Date.now() > end) throw new Error(`hako system service did not answer: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, socket, dir, stderr: () => stderr };
}

/** Stops a service (SIGTERM, then SIGKILL) and removes its directory. */
export async function stopService(s: { child: ChildProcess; dir: string }): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) {
    const exited = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    const t = setTimeout(() => s.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
  fs.rmSync(s.dir, { recursive: true, force: true });
}

/** A test file's service: an engine root and `hako system service` on it, stopped before the
 *  engine harness checks that nothing was left behind. */
export function useApiService(skip: string | false, use: (svc: ApiService) => void): void {
  let running: Awaited<ReturnType<typeof startService>> | undefined;
  let env: EngineEnv | undefined;
  after(async () => {
    if (running) await stopService(running);
  });
  useEngineEnv(skip, (e) => {
    env = e;
  });
  before(async () => {
    if (!env) return;
    running = await startService(env.root, ['--time', '0']);
    use({ env, socket: running.socket, dockerHost: `unix://${running.socket}`, log: running.stderr });
  });
}

/** Reads docker's multiplexed stream (8-byte frame headers) into stdout and stderr text. */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    const data = buf.subarray(i + 8, i + 8 + len).toString();
    if (buf[i] === 2) out.stderr += data;
    else out.stdout += data;
    i += 8 + len;
  }
  return out;
}
