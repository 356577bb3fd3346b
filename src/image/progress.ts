// Draws pull progress. On a TTY: one line per blob, redrawn in place with a bar (like docker).
// Otherwise (logs, CI): plain lines, only when a blob starts and finishes, so the output stays readable.
import type { PullEvent } from './pull.js';

/** A byte count as docker prints it: 512B, 1.2MB, 34MB (powers of 1000). */
export function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n < 10 && i > 0 ? n.toFixed(1) : Math.round(n)}${units[i]}`;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

export type ProgressRenderer = (e: PullEvent) => void;

export function createProgressRenderer(
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stderr,
  /** status: false leaves out the `Status:` line (pull --all-tags writes one for the repository). */
  opts: { tty?: boolean; status?: boolean } = {},
): ProgressRenderer {
  const tty = opts.tty ?? Boolean(out.isTTY);
  const lines = new Map<string, string>();
  let drawn = 0;
  let lastDraw = 0;

  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    let s = drawn > 0 ? `\x1b[${drawn}A` : '';
    for (const line of lines.values()) s += `\r\x1b[2K${line}\n`;
    drawn = lines.size;
    out.write(s);
  };

  const bar = (cur: number, total: number) => {
    const width = 30;
    const fill = total > 0 ? Math.min(width, Math.floor((cur / total) * width)) : 0;
    return `[${'='.repeat(Math.max(0, fill - 1))}${fill > 0 ? '>' : ''}${' '.repeat(width - fill)}] ${human(cur)}/${human(total)}`;
  };

  // The config blob is not a layer: docker shows layers only.
  const configs = new Set<string>();

  return (e: PullEvent) => {
    if (e.type === 'blob-start' && e.kind === 'config') configs.add(e.digest);
    if ((e.type === 'blob-start' || e.type === 'blob-progress' || e.type === 'blob-done') && configs.has(e.digest)) return;
    switch (e.type) {
      case 'resolved':
        out.write(`Pulling ${e.reference} (${short(e.digest)})\n`);
        break;
      case 'blob-start':
        if (tty) {
          lines.set(e.digest, `${short(e.digest)}: Waiting`);
          draw(true);
        }
        break;
      case 'blob-progress':
        if (tty) {
          lines.set(e.digest, `${short(e.digest)}: Downloading ${bar(e.current, e.total)}`);
          draw(false);
        }
        break;
      case 'blob-done': {
        const text = `${short(e.digest)}: ${e.cached ? 'Already exists' : `Pull complete (${human(e.size)})`}`;
        if (tty) {
          lines.set(e.digest, text);
          draw(true);
        } else out.write(`${text}\n`);
        break;
      }
      case 'done':
        if (tty) draw(true);
        out.write(`Digest: ${e.digest}\n${opts.status === false ? '' : `Status: Downloaded newer image for ${e.reference}\n`}`);
        break;
    }
  };
}
