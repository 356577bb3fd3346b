// Output without Bun's stream objects where a plain write is enough. Bun builds process.stdout and
// process.stderr on first use: ~2 ms of CPU each time, a fifth of a whole `hako runtime start`,
// `kill` or `state` (and once built, they must be ended before exit, src/cli/main.ts). So the
// runtime's output (the `state` JSON, an error line, a warning) is written to fd 1 or 2 directly,
// synchronously, and the streams are only built when a write would block (a full non-blocking
// pipe) or a command streams a lot. Once the streams are in use, everything goes through them, so
// nothing written later overtakes what they still queue.
import fs from 'node:fs';

let streamsUsed = false;

/** From now on all output goes through process.stdout/stderr (the engine, which streams). */
export function useStdioStreams(): void {
  streamsUsed = true;
}

/** Calls `done` once everything written has been written. process.stdout and process.stderr may
 *  be pipes, written asynchronously, and process.exit would cut them short; Bun keeps a pipe's
 *  queue where writableLength does not see it, so the only sure sign is end()'s callback (a test
 *  pipes 300 kB of logs into a slow reader). Streams never used have nothing queued. */
export function endStdio(done: () => void): void {
  if (!streamsUsed) {
    done();
    return;
  }
  let open = 2;
  const ended = () => {
    if (--open === 0) done();
  };
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.writableFinished || stream.destroyed) ended();
    else stream.end(ended);
  }
}

/** Writes `text` to stdout (1) or stderr (2): directly while it goes at once, else through the stream. */
export function writeStdio(fd: 1 | 2, text: string): void {
  let rest: string | Buffer = text;
  if (!streamsUsed) {
    const buf = Buffer.from(text);
    let off = 0;
    try {
      while (off < buf.length) off += fs.writeSync(fd, buf, off);
      return;
    } catch (e) {
      // A closed reader (EPIPE) or a closed fd: the output has nowhere to go, as with a stream.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
    rest = buf.subarray(off);
  }
  streamsUsed = true;
  (fd === 1 ? process.stdout : process.stderr).write(rest);
}

/** `writeStdio(1, text)`. */
export function writeOut(text: string): void {
  writeStdio(1, text);
}

/** `writeStdio(2, text)`. */
export function writeErr(text: string): void {
  writeStdio(2, text);
}
