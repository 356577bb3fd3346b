// conmon creates a container by running an OCI runtime. `hako-runtime` there would be a second
// Node process per container start (about 90 ms here: most of a `hako run`), so the engine points
// conmon at hako-init with `--engine-socket=PATH` and answers on PATH itself, with the Runtime it
// already has in this process: the same plan, the same sync protocol, only the helper was started
// by conmon instead of by us (native/README.md, "Conmon's runtime: the engine socket").
import fs from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HakoError } from '../util/errors.js';
import { processAlive } from '../util/proc.js';
import type { Runtime } from '../runtime/index.js';
import { engineSocketCommand } from '../native/modes.js';
import { decodeOp } from '../native/encode.js';

/** What conmon passes to its runtime: `create --bundle B --pid-file F [--console-socket S] ID`. */
export function parseCreateArgs(args: string[]): { bundle: string; pidFile?: string; consoleSocket?: string; id: string } {
  if (args[0] !== 'create') throw new HakoError(`engine socket: expected a create, got "${args.join(' ')}"`);
  const out: { bundle?: string; pidFile?: string; consoleSocket?: string; id?: string } = {};
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    if (a === '--bundle' || a === '-b') out.bundle = args[++i];
    else if (a === '--pid-file') out.pidFile = args[++i];
    else if (a === '--console-socket') out.consoleSocket = args[++i];
    else if (a.startsWith('-'))
      continue; // flags conmon may add that change nothing for us (--no-pivot is not honoured)
    else out.id = a;
  }
  if (!out.bundle || !out.id) throw new HakoError(`engine socket: create needs --bundle and an id, got "${args.join(' ')}"`);
  return { bundle: out.bundle, pidFile: out.pidFile, consoleSocket: out.consoleSocket, id: out.id };
}

const DIR_PREFIX = 'hako-engine-';

/** Where the private directories go: $TMPDIR, unless it is so long that a socket path below it
 *  would pass the 107 bytes a Unix socket address holds. */
function baseDir(): string {
  const tmp = os.tmpdir();
  return tmp.length <= 60 ? tmp : '/tmp';
}

function removeStaleDirs(): void {
  let names: string[];
  try {
    names = fs.readdirSync(baseDir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^hako-engine-(\d+)-/.exec(name)?.[1]);
    if (pid && !processAlive(pid)) fs.rmSync(path.join(baseDir(), name), { recursive: true, force: true });
  }
}

export class RuntimeSocket {
  /** Set once hako-init has connected (a failed create then has its own, better, message). */
  connected = false;
  /** Settles when the container is created (at its start barrier), or with the runtime's error. */
  readonly created: Promise<void>;
  private settle!: { resolve(): void; reject(e: Error): void };

  private constructor(
    private readonly server: net.Server,
    private readonly dir: string,
    readonly socketPath: string,
  ) {
    this.created = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.created.catch(() => {
      /* read by the caller, or not at all when conmon failed first */
    });
  }

  /** Listens in a new private directory (0700: only our user can connect), for one create. The
   *  directory is named after our pid, so one left by a killed engine is removed by the next. */
  static async listen(runtime: Runtime, expectedId: string): Promise<RuntimeSocket> {
    removeStaleDirs();
    const dir = fs.mkdtempSync(path.join(baseDir(), `${DIR_PREFIX}${process.pid}-`));
    const socketPath = path.join(dir, 'runtime.sock');
    // node:net on first use: ~1 ms of Bun's CPU that `ps`, `inspect`, `rm`… need not pay.
    const server = process.getBuiltinModule('node:net').createServer();
    const sock = new RuntimeSocket(server, dir, socketPath);
    server.on('connection', (conn) => sock.accept(conn, runtime, expectedId));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    return sock;
  }

  /** conmon's `-r` and `--runtime-arg`s. */
  conmonRuntime(): { path: string; args: string[] } {
    return engineSocketCommand(this.socketPath);
  }

  close(): void {
    this.server.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(conn: net.Socket, runtime: Runtime, expectedId: string): void {
    if (this.connected) {
      conn.destroy();
      return;
    }
    this.connected = true;
    this.server.close(); // one create per socket
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const hello = decodeOp(buf);
      if (!hello) return;
      conn.off('data', onData);
      conn.pause();
      void this.create(conn, hello.op, runtime, expectedId);
    };
    conn.on('data', onData);
    conn.on('error', () => {
      /* the create below reports what went wrong */
    });
  }

  private async create(conn: net.Socket, hello: string[], runtime: Runtime, expectedId: string): Promise<void> {
    try {
      const [word, pid, ...args] = hello;
      if (word !== 'shim' || !/^\d+$/.test(pid)) throw new HakoError(`engine socket: unexpected hello "${hello.join(' ')}"`);
      const create = parseCreateArgs(args);
      if (create.id !== expectedId) throw new HakoError(`engine socket: a create for "${create.id}", expected "${expectedId}"`);
      conn.resume();
      await runtime.create(create.id, { ...create, attached: { conn, pid: Number(pid) } });
      this.settle.resolve();
    } catch (e) {
      conn.destroy();
      this.settle.reject(e as Error);
    }
  }
}
