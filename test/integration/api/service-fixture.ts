// `hako system service` for the API tests: the real executable on a socket in a temp directory,
// over an engine root, stopped (SIGTERM, then waited for) at the end; plus a small HTTP client on
// that socket for the plain-HTTP tests (status, headers, body) and docker's progress-stream lines.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { HAKO, type EngineEnv, useEngineEnv } from '../engine/harness.js';
import { startRegistry, type TestRegistry } from '../../fixtures/registry.js';

export interface Service {
  socket: string;
  /** `unix:///…`: the DOCKER_HOST clients are given, as users write it. */
  dockerHost: string;
  /** What the service printed (its log): shown when a test fails. */
  log(): string;
  stop(): Promise<void>;
}

export async function startService(root: string): Promise<Service> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-api-'));
  const socket = path.join(dir, 'docker.sock');
  let output = '';
  const proc: ChildProcess = spawn(HAKO, ['--root', root, 'system', 'service', '--time', '0', `unix://${socket}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HAKO_ROOT: undefined },
  });
  proc.stdout!.on('data', (d) => (output += d));
  proc.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  // Ready when it answers _ping (the socket file appears at bind, before listen).
  const answers = () =>
    request(socket, 'GET', '/_ping').then(
      (r) => r.status === 200,
      () => false,
    );
  for (const end = Date.now() + 15_000; !(fs.existsSync(socket) && (await answers())); ) {
    if (proc.exitCode !== null) throw new Error(`hako system service exited ${proc.exitCode}: ${output}`);
    if (Date.now() > end) throw new Error(`hako system service did not answer on ${socket}: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    dockerHost: `unix://${socket}`,
    log: () => output,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body as JSON (undefined when it is not). */
  json: unknown;
  /** The body as docker's JSON lines (progress streams). */
  lines: Record<string, unknown>[];
}

/** One request on the socket; `body` is sent as is (a Buffer: a tar) or as JSON. */
export function request(socket: string, method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const type = body === undefined ? {} : { 'Content-Type': Buffer.isBuffer(body) ? 'application/x-tar' : 'application/json' };
    const req = http.request(
      { socketPath: socket, method, path: urlPath, headers: { ...type, ...(data ? { 'Content-Length': String(data.length) } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          const text = buf.toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const lines = text
            .split(/\r?\n/)
            .filter((l) => l.trim().startsWith('{'))
            .map((l) => {
              try {
                return JSON.parse(l) as Record<string, unknown>;
              } catch {
                return { unparsable: l };
              }
            });
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json, lines });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** A client program's run: its exit status and output. Killed (status 128+9 reported as 137) when
 *  it outlives `timeoutMs`. */
export function runClient(
  file: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(file, args, { env: opts.env, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => (stdout += d));
    p.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 128), stdout, stderr });
    });
  });
}

/** An API test file's set-up: an engine root (useEngineEnv), the service on it and, with
 *  `registry`, a local registry, handed to `use` before the tests. They stop before the engine
 *  harness checks that nothing is left (this `after` is registered first). */
export function useApiService(
  skip: string | false,
  opts: { registry?: boolean },
  use: (s: { env: EngineEnv; service: Service; registry?: TestRegistry }) => void,
): void {
  let service: Service | undefined;
  let registry: TestRegistry | undefined;
  let env: EngineEnv | undefined;
  after(async () => {
    await service?.stop();
    await registry?.stop();
  });
  useEngineEnv(skip, (e) => {
    env = e;
  });
  before(async () => {
    if (skip || !env) return;
    service = await startService(env.root);
    if (opts.registry) registry = await startRegistry();
    use({ env, service, registry });
  });
}
