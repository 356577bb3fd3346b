// Container logs as conmon writes them (k8s-file, the CRI log format): one line per chunk,
// `<RFC 3339 time> <stdout|stderr> <F|P> <text>`, where P marks a partial line continued by the next
// entry. The same fields as docker's json-file ({"log","stream","time"}); we read them back here.
import fs from 'node:fs';

export interface LogEntry {
  time: string;
  stream: 'stdout' | 'stderr';
  /** The text, with its newline unless the line was partial. */
  log: string;
}

export function parseLogLine(line: string): LogEntry | undefined {
  const m = /^(\S+) (stdout|stderr) ([FP]) ?(.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1], stream: m[2] as LogEntry['stream'], log: m[3] === 'F' ? `${m[4]}\n` : m[4] };
}

export function parseLog(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    const e = parseLogLine(line);
    if (e) out.push(e);
  }
  return out;
}

/** The last `n` complete lines' entries (partial pieces stay with their line), like --tail N. */
export function tailEntries(entries: LogEntry[], n: number): LogEntry[] {
  if (n < 0) return entries;
  let lines = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].log.endsWith('\n')) {
      if (lines === n) return entries.slice(i + 1);
      lines++;
    }
  }
  return entries;
}

export interface LogSink {
  write(e: LogEntry): void;
}

/** Writes entries to stdout/stderr, with docker's `--timestamps` prefix on each line start. */
export function streamSink(timestamps: boolean, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): LogSink {
  const atStart = { stdout: true, stderr: true };
  return {
    write(e) {
      const prefix = timestamps && atStart[e.stream] ? `${dockerTime(e.time)} ` : '';
      atStart[e.stream] = e.log.endsWith('\n');
      (e.stream === 'stdout' ? out : err).write(prefix + e.log);
    },
  };
}

/** conmon's time (RFC 3339 with nanoseconds and an offset, `…+00:00`) as docker prints it: UTC, written
 *  `Z`, nine digits of fraction (docker's RFC3339NanoFixed). Anything unexpected is kept as it is. */
export function dockerTime(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return time;
  const fraction = (m[2] ?? '').slice(0, 9).padEnd(9, '0');
  let seconds = m[1];
  if (m[3] !== 'Z' && !/^[+-]00:00$/.test(m[3])) {
    const t = Date.parse(`${m[1]}${m[3]}`);
    if (Number.isNaN(t)) return time;
    seconds = new Date(t).toISOString().slice(0, 19);
  }
  return `${seconds}.${fraction}Z`;
}

/** Complete lines' entries of `fd` from `offset` (all of it when `rest`: the file is done), and
 *  the offset after them. */
function readFd(fd: number, offset: number, rest = false): { entries: LogEntry[]; offset: number } {
  const size = fs.fstatSync(fd).size;
  if (size <= offset) return { entries: [], offset };
  const buf = Buffer.alloc(size - offset);
  const n = fs.readSync(fd, buf, 0, buf.length, offset);
  const text = buf.subarray(0, n).toString('utf8');
  const end = rest ? text.length - 1 : text.lastIndexOf('\n');
  if (end < 0) return { entries: [], offset };
  return { entries: parseLog(text.slice(0, end)), offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
}

/** Reads the log from `offset`; returns complete lines' entries and the offset after them. */
export function readFrom(file: string, offset: number): { entries: LogEntry[]; offset: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return { entries: [], offset };
  }
  try {
    if (fs.fstatSync(fd).size < offset) offset = 0; // truncated
    return readFd(fd, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a log as it grows, across conmon replacing it at max-size (a new file renamed over it): the
 * replaced file's last lines are read from the descriptor still open on it, then the new file from
 * its start, so a follower loses nothing to a rotation.
 */
export class LogFollower {
  private fd?: number;
  private ino?: number;

  constructor(
    private readonly file: string,
    private offset: number,
  ) {}

  read(): LogEntry[] {
    if (this.fd === undefined && !this.open()) return [];
    const out = this.drain(false);
    let now: number | undefined;
    try {
      now = fs.statSync(this.file).ino;
    } catch {
      return out; // between conmon's steps, or removed
    }
    if (now === this.ino) return out;
    out.push(...this.drain(true));
    this.close();
    this.offset = 0;
    if (this.open()) out.push(...this.drain(false));
    return out;
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): boolean {
    try {
      this.fd = fs.openSync(this.file, 'r');
    } catch {
      return false;
    }
    const st = fs.fstatSync(this.fd);
    this.ino = st.ino;
    if (st.size < this.offset) this.offset = 0; // truncated
    return true;
  }

  private drain(rest: boolean): LogEntry[] {
    const r = readFd(this.fd!, this.offset, rest);
    this.offset = r.offset;
    return r.entries;
  }
}

/**
 * Sleeps that end early when one of `paths` changes (inotify through fs.watch): a follower sees new
 * output, or conmon's exit file appearing, at once instead of at its next poll. Paths that cannot be
 * watched (not there yet) only have the timeout.
 */
export class ChangeWaiter {
  private readonly watchers: fs.FSWatcher[] = [];
  private changed = false;
  private wake?: () => void;

  constructor(paths: string[]) {
    for (const p of paths) {
      try {
        const w = fs.watch(p, () => this.notify());
        w.on('error', () => {
          /* removed under us: the timeout remains */
        });
        this.watchers.push(w);
      } catch {
        /* missing: the timeout remains */
      }
    }
  }

  /** Resolves after `ms`, or as soon as something changed since the last sleep. */
  sleep(ms: number): Promise<void> {
    if (this.changed) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        this.changed = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  close(): void {
    for (const w of this.watchers) w.close();
  }

  private notify(): void {
    this.changed = true;
    this.wake?.();
  }
}
