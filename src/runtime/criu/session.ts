// One conversation with `criu swrk` (through hako-init's relay): the request, its notifications
// (answered after our callback ran), and the final answer. A failure is one line: criu's own
// message, or the last error line of its log.
import fs from 'node:fs';
import path from 'node:path';
import { HakoError } from '../../util/errors.js';
import { startCriuSwrk, criuSwrkError, type CriuSwrk, type CriuSwrkOptions } from '../../native/criu-swrk.js';
import { decodeResponse, encodeRequest, type CriuReq, type CriuResp } from './rpc.js';

export interface Session {
  swrk: CriuSwrk;
  /** The answer to the request (a DUMP, RESTORE, … success). */
  result: Promise<CriuResp>;
}

export interface SessionOptions extends Omit<CriuSwrkOptions, 'criu'> {
  criu: string;
  /** Runs before the request goes out: the helper's pid, to place it (restore: the cgroup). */
  beforeRequest?(helperPid: number): void;
  /** A notification (`setup-namespaces`, `post-restore`, …); criu waits until it returns. */
  onNotify?(script: string, pid: number): void | Promise<void>;
  /** Where criu's log is, for the error line. */
  log: string;
}

export function startSession(req: CriuReq, opts: SessionOptions): Session {
  const swrk = startCriuSwrk(opts);
  opts.beforeRequest?.(swrk.pid);
  swrk.send(encodeRequest(req));
  return { swrk, result: converse(swrk, req, opts) };
}

async function converse(swrk: CriuSwrk, req: CriuReq, opts: SessionOptions): Promise<CriuResp> {
  for (;;) {
    const bytes = await swrk.receive();
    if (!bytes) {
      const { code, stderr } = await swrk.exited;
      throw criuSwrkError(stderr, `criu ${req.type.toLowerCase()}: criu exited (status ${code}) without an answer${logHint(opts.log)}`);
    }
    const resp = decodeResponse(bytes);
    if (!resp.success) {
      swrk.end();
      throw new HakoError(
        `criu ${req.type.toLowerCase()} failed${resp.cr_errno ? ` (errno ${resp.cr_errno})` : ''}: ${resp.cr_errmsg || lastLogError(opts.log) || 'no reason given'}${logHint(opts.log)}`,
      );
    }
    if (resp.type !== 'NOTIFY') return resp;
    try {
      await opts.onNotify?.(resp.notify?.script ?? '', resp.notify?.pid ?? 0);
    } catch (e) {
      swrk.end();
      throw e;
    }
    swrk.send(encodeRequest({ type: 'NOTIFY', notify_success: true }));
  }
}

function logHint(log: string): string {
  return fs.existsSync(log) ? ` (log: ${log})` : '';
}

/** The last line of criu's log that says Error, without its timestamp. */
export function lastLogError(log: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => /Error/.test(l));
  return lines
    .at(-1)
    ?.replace(/^\(\s*[\d.]+\)\s*/, '')
    .trim();
}

export function logPath(dir: string, file: string): string {
  return path.join(dir, file);
}
