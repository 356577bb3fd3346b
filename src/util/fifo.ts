// Reading a FIFO to its end without blocking the event loop and without polling: the kernel wakes
// us (epoll) when a byte arrives and when the last writer closes. Node wraps the fd in a libuv pipe
// (net.Socket); Bun's net.Socket does not take a FIFO's fd, but Bun.file(fd).stream() reads it the
// same way. The start barrier (runtime.ts) waits like this for the container's byte and its exec.
import fs from 'node:fs';

declare const Bun: { file(fd: number): { stream(): ReadableStream<Uint8Array> } } | undefined;

export interface FifoReader {
  /** Resolves at end of file (every writer has closed its end) with the number of bytes read. */
  readonly ended: Promise<number>;
  /** Bytes read so far. */
  bytes(): number;
  /** Stops reading and closes the fd (ours from the call on). */
  close(): void;
}

/** Reads the FIFO open on `fd` (O_RDONLY|O_NONBLOCK) until end of file; takes over the fd. A FIFO
 *  whose writer has not opened it yet is no end of file: the read waits for it. */
export async function readFifo(fd: number): Promise<FifoReader> {
  return typeof Bun !== 'undefined' ? readWithBun(fd) : readWithNode(fd);
}

// node:net is imported on first use, not with this module: the runtime imports this module for
// every command, and loading node:net costs Bun ~3 ms of a 15 ms `state`/`delete`.
async function readWithNode(fd: number): Promise<FifoReader> {
  const { default: net } = await import('node:net');
  let count = 0;
  const socket = new net.Socket({ fd, readable: true, writable: false });
  const ended = new Promise<number>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      count += chunk.length;
    });
    socket.once('end', () => resolve(count));
    socket.once('error', reject);
    socket.once('close', () => resolve(count));
  });
  return { ended, bytes: () => count, close: () => socket.destroy() };
}

function readWithBun(fd: number): FifoReader {
  let count = 0;
  let closed = false;
  const reader = Bun!.file(fd).stream().getReader();
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return count;
      count += value.length;
    }
  })();
  const close = () => {
    if (closed) return;
    closed = true;
    void reader.cancel().catch(() => {});
    fs.closeSync(fd); // Bun leaves the fd open at the end and on cancel
  };
  return { ended, bytes: () => count, close };
}
