// docker's stream framing (moby's stdcopy): without a tty, stdout and stderr share one connection as
// frames of an 8-byte header — [stream (0 stdin, 1 stdout, 2 stderr), 0, 0, 0, length (u32 big
// endian)] — and the bytes. With a tty the stream is raw: everything is the terminal's output.
import { Writable } from 'node:stream';
import { dockerTime, type LogEntry, type LogSink } from '../engine/logs.js';

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';

/** One frame of stream `kind` (1 stdout, 2 stderr). */
export function frame(kind: 1 | 2, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = kind;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}

/** A writable that puts everything written to it on `out` as frames of `kind` (or raw for a tty). */
export function framedWriter(out: Writable, kind: 1 | 2, tty: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      if (out.destroyed || out.writableEnded) return done();
      const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      if (!data.length) return done();
      if (out.write(tty ? data : frame(kind, data))) done();
      else out.once('drain', () => done());
    },
  });
}

/** Log entries as docker sends them: framed per stream (raw for a tty), with `timestamps` each
 *  line prefixed by its time. `stdout`/`stderr` choose which streams are sent. */
export function logSink(out: Writable, opts: { tty: boolean; timestamps: boolean; stdout: boolean; stderr: boolean }): LogSink {
  const atStart = { stdout: true, stderr: true };
  return {
    write(e: LogEntry) {
      if (!opts[e.stream] || out.destroyed || out.writableEnded) return;
      const prefix = opts.timestamps && atStart[e.stream] ? `${dockerTime(e.time)} ` : '';
      atStart[e.stream] = e.log.endsWith('\n');
      const data = Buffer.from(prefix + e.log);
      out.write(opts.tty ? data : frame(e.stream === 'stderr' ? 2 : 1, data));
    },
  };
}
