// A container's output and input: logs (docker's framing without a tty: streams.ts) and attach
// (hijacked). Attach takes the output from the container's log, followed from where it ended when
// the client asked — so nothing is lost between a client's attach and its start of the container,
// which docker's clients do in that order — and sends the client's input to the container's stdin
// through conmon's attach socket (engine/attach.ts).
import { type Readable, Writable } from 'node:stream';
import type { Engine } from '../../engine/engine.js';
import { HakoError } from '../../util/errors.js';
import type { Call } from '../call.js';
import { badRequest } from '../errors.js';
import type { ApiContext, Router } from '../router.js';
import { logSink, MULTIPLEXED_STREAM, RAW_STREAM } from '../streams.js';
import { compareVersions } from '../version.js';

export function register(r: Router, api: ApiContext): void {
  r.get('/containers/{id}/logs', (call) => logs(api.engine, call));
  r.post('/containers/{id}/attach', (call) => attach(api.engine, call));
  // A tty container's terminal size (docker's clients send it after attaching): conmon's control FIFO.
  r.post('/containers/{id}/resize', async (call) => {
    const { resizeAttachedTty } = await import('../../engine/attach.js');
    resizeAttachedTty(api.engine, call.params.id, call.int('h') ?? 0, call.int('w') ?? 0);
    call.send(200);
  });
}

/** docker's stream type: multiplexed from API 1.42 on, raw-stream before (and for a tty). */
export function streamType(call: Call, tty: boolean): string {
  return tty || compareVersions(call.version, '1.42') < 0 ? RAW_STREAM : MULTIPLEXED_STREAM;
}

/** docker's `since`/`until`: seconds since the epoch (with a fraction), or an RFC 3339 time. */
export function timeParam(call: Call, name: string): number | undefined {
  const v = call.query.get(name);
  if (!v || v === '0') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`invalid value for "${name}": ${JSON.stringify(v.slice(0, 40))} is not a time`);
  return t;
}

/** An AbortSignal that fires when the client's connection closes. */
export function clientGone(call: Call): AbortSignal {
  const gone = new AbortController();
  call.req.socket.once('close', () => gone.abort());
  return gone.signal;
}

async function logs(engine: Engine, call: Call): Promise<void> {
  const stdout = call.bool('stdout');
  const stderr = call.bool('stderr');
  if (!stdout && !stderr) throw badRequest('you must choose at least one stream (stdout=1 and/or stderr=1)');
  // docker's tail: `all`, or a number of lines (a negative one is all: clients send -1).
  const tail = call.query.get('tail');
  if (tail && tail !== 'all' && !/^-?\d+$/.test(tail)) throw badRequest(`invalid value for "tail": ${JSON.stringify(tail.slice(0, 40))}`);
  const id = engine.store.resolve(call.params.id);
  const tty = engine.store.readConfig(id).options.tty;
  const opts = { since: timeParam(call, 'since'), until: timeParam(call, 'until') };
  const out = call.stream(200, streamType(call, tty));
  const sink = logSink(out, { tty, timestamps: call.bool('timestamps'), stdout, stderr });
  const follow = call.bool('follow');
  await engine.logs(id, { ...opts, follow, tail: tail && tail !== 'all' ? Math.max(-1, Number(tail)) : -1, signal: clientGone(call) }, sink);
  out.end();
}

/** Waits until a created container has been started (docker's clients attach before they start). */
async function started(engine: Engine, id: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && (await engine.refresh(id)).status === 'created' && !engine.store.readState(id).startedAt) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function attach(engine: Engine, call: Call): Promise<void> {
  const id = engine.store.resolve(call.params.id);
  const cfg = engine.store.readConfig(id);
  const tty = cfg.options.tty;
  const want = { stdout: call.bool('stdout'), stderr: call.bool('stderr'), stdin: call.bool('stdin') };
  const offset = engine.logEnd(id);
  const conn = call.hijack(streamType(call, tty));
  const gone = clientGone(call);
  const sink = logSink(conn.output, { tty, timestamps: false, stdout: want.stdout, stderr: want.stderr });
  try {
    if (call.bool('logs')) await engine.logs(id, {}, sink);
    if (call.bool('stream')) {
      await started(engine, id, gone);
      const input = want.stdin && cfg.options.interactive ? sendInput(engine, id, conn.input, gone) : undefined;
      await engine.followLog(id, offset, sink, gone);
      input?.stop();
    }
  } catch (e) {
    if (!(e instanceof HakoError)) throw e;
    // The stream has begun: the error can only be the last thing the client reads.
    if (!tty && want.stderr) conn.output.write(Buffer.from(`hako: ${e.message}\n`));
  }
  conn.end();
}

/** The client's input to the container's stdin, until the client or the container is done. */
function sendInput(engine: Engine, id: string, input: Readable, gone: AbortSignal): { stop(): void } {
  const stop = new AbortController();
  gone.addEventListener('abort', () => stop.abort(), { once: true });
  void import('../../engine/attach.js')
    .then(({ attachContainer }) => attachContainer(engine, id, { stdin: input, stdout: discard(), stderr: discard() }, { detachKeys: '', signal: stop.signal }))
    .catch(() => {
      /* the container went away: the output's end says so */
    });
  return { stop: () => stop.abort() };
}

/** The attach socket's copy of the output: the log has it already. */
const discard = () => new Writable({ write: (_c, _e, done) => done() });
