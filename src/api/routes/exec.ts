// docker's exec: `POST /containers/{id}/exec` records what to run (an exec instance, kept in this
// service's memory as docker keeps it in its daemon's), `POST /exec/{id}/start` runs it through the
// engine's exec — detached, or hijacking the connection for its stdio — and `GET /exec/{id}/json`
// tells whether it still runs and how it ended.
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { ExecRequest } from '../../engine/engine.js';
import { randomHex } from '../../util/random.js';
import type { Call } from '../call.js';
import { badRequest, conflict, notFound } from '../errors.js';
import type { ApiContext, Router } from '../router.js';
import { frame, framedWriter } from '../streams.js';
import { streamType } from './container-io.js';

interface ExecInstance {
  id: string;
  containerId: string;
  request: ExecRequest;
  attach: { stdin: boolean; stdout: boolean; stderr: boolean };
  detachKeys: string;
  running: boolean;
  started: boolean;
  exitCode: number | null;
}

/** How long a finished exec instance can still be inspected. */
const KEEP_FINISHED_MS = 10 * 60_000;

export function register(r: Router, api: ApiContext): void {
  const execs = new Map<string, ExecInstance>();
  r.post('/containers/{id}/exec', async (call) => {
    const inst = await createExec(api, call);
    execs.set(inst.id, inst);
    call.send(201, { Id: inst.id });
  });
  const find = (call: Call) => {
    const inst = execs.get(call.params.id);
    if (!inst) throw notFound(`No such exec instance: ${call.params.id}`);
    return inst;
  };
  r.post('/exec/{id}/start', async (call) => {
    const inst = find(call);
    await startExec(api, call, inst);
    setTimeout(() => execs.delete(inst.id), KEEP_FINISHED_MS).unref();
  });
  r.get('/exec/{id}/json', (call) => call.send(200, execJson(find(call))));
  // The exec's terminal is hako-init's relay, sized from the start: a resize is accepted and has no effect.
  r.post('/exec/{id}/resize', (call) => {
    find(call);
    call.send(200);
  });
}

function strings(v: unknown, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw badRequest(`${field}: expected a list of strings`);
  return v as string[];
}

async function createExec(api: ApiContext, call: Call): Promise<ExecInstance> {
  const body = await call.json<Record<string, unknown>>();
  const id = api.engine.store.resolve(call.params.id);
  const st = await api.engine.refresh(id);
  if (st.status !== 'running') throw conflict(`Container ${id} is not running`);
  if (st.paused) throw conflict(`Container ${id} is paused, unpause the container before exec`);
  const command = strings(body.Cmd, 'Cmd') ?? [];
  if (!command.length) throw badRequest('Cmd: no exec command specified');
  const str = (k: string) => (typeof body[k] === 'string' && body[k] ? (body[k] as string) : undefined);
  const attach = { stdin: Boolean(body.AttachStdin), stdout: Boolean(body.AttachStdout), stderr: Boolean(body.AttachStderr) };
  return {
    id: randomHex(32),
    containerId: id,
    request: {
      command,
      tty: Boolean(body.Tty),
      interactive: attach.stdin,
      env: strings(body.Env, 'Env')?.filter((e) => e.includes('=')),
      user: str('User'),
      workdir: str('WorkingDir'),
      privileged: Boolean(body.Privileged),
    },
    attach,
    detachKeys: str('DetachKeys') ?? '',
    running: false,
    started: false,
    exitCode: null,
  };
}

const discard = () =>
  new Writable({
    write: (_c, _e, done) => done(),
  });

async function startExec(api: ApiContext, call: Call, inst: ExecInstance): Promise<void> {
  const body = await call.json<Record<string, unknown>>();
  if (inst.started) throw conflict(`exec ${inst.id} has already been started`);
  inst.started = true;
  if (body.Detach) {
    await api.engine.exec(inst.containerId, { ...inst.request, interactive: false, detach: true });
    call.send(200);
    return;
  }
  const tty = Boolean(inst.request.tty);
  const conn = call.hijack(streamType(call, tty));
  const stdout = inst.attach.stdout ? framedWriter(conn.output, 1, tty) : discard();
  const stderr = inst.attach.stderr ? framedWriter(conn.output, 2, tty) : discard();
  inst.running = true;
  try {
    inst.exitCode = await api.engine.exec(inst.containerId, {
      ...inst.request,
      io: { stdin: inst.attach.stdin ? conn.input : undefined, stdout, stderr },
    });
    // What the writers still hold goes out before the connection ends.
    await Promise.all([stdout, stderr].map((w) => finished(w.end())));
  } catch (e) {
    inst.exitCode = typeof (e as { exitCode?: number }).exitCode === 'number' ? (e as { exitCode: number }).exitCode : 126;
    if (inst.attach.stderr) conn.output.write(tty ? `${(e as Error).message}\r\n` : frame(2, Buffer.from(`${(e as Error).message}\n`)));
  } finally {
    inst.running = false;
  }
  conn.end();
}

function execJson(inst: ExecInstance): Record<string, unknown> {
  const [entrypoint, ...args] = inst.request.command;
  return {
    ID: inst.id,
    Running: inst.running,
    ExitCode: inst.exitCode,
    ProcessConfig: { tty: Boolean(inst.request.tty), entrypoint, arguments: args, privileged: Boolean(inst.request.privileged), user: inst.request.user ?? '' },
    OpenStdin: inst.attach.stdin,
    OpenStderr: inst.attach.stderr,
    OpenStdout: inst.attach.stdout,
    CanRemove: !inst.running && inst.started,
    ContainerID: inst.containerId,
    DetachKeys: inst.detachKeys,
    Pid: 0,
  };
}
