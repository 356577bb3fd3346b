// --log-opt max-file=N (N > 1) as docker's json-file keeps it: the log, then log.1 … log.(N-1), older
// output in higher numbers. conmon 2.1 only truncates: at max-size it opens `log.tmp` and renames it
// over the log, so the full file's inode is dropped. A rotator beside conmon keeps a second name
// (`log.live`) for the current inode; once conmon has replaced the log, that name holds the full
// file and becomes log.1 (the others shifting up), and the new log gets the second name.
import fs from 'node:fs';
import path from 'node:path';
import { killRecorded, spawnRecorded } from './helper-process.js';

/** The rotated files of `file` that exist, oldest first, then `file` itself: the order to read. */
export function logFiles(file: string): string[] {
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(path.dirname(file));
  } catch {
    return [file];
  }
  const numbered = names
    .map((n) => (n.startsWith(`${base}.`) && /^[1-9]\d*$/.test(n.slice(base.length + 1)) ? Number(n.slice(base.length + 1)) : 0))
    .filter((k) => k > 0)
    .sort((a, b) => b - a);
  return [...numbered.map((k) => `${file}.${k}`), file];
}

function inode(p: string): number | undefined {
  try {
    return fs.statSync(p).ino;
  } catch {
    return undefined;
  }
}

/** One step: when conmon has replaced `file`, the replaced content becomes file.1 (and the others
 *  shift, file.(maxFile-1) dropped); then `file` gets its second name. */
export function rotateStep(file: string, maxFile: number): void {
  const live = `${file}.live`;
  const now = inode(file);
  if (now === undefined) return; // conmon has not made it yet
  const kept = inode(live);
  if (kept === now) return;
  if (kept !== undefined) {
    for (let k = maxFile - 1; k >= 2; k--) if (fs.existsSync(`${file}.${k - 1}`)) fs.renameSync(`${file}.${k - 1}`, `${file}.${k}`);
    fs.renameSync(live, `${file}.1`);
  }
  fs.linkSync(file, live);
}

/** The rotator's loop: a step at every change in the log's directory, until `monitorPid` is gone. */
export async function runLogRotator(file: string, maxFile: number, monitorPid: number): Promise<void> {
  let wake: (() => void) | undefined;
  const watcher = fs.watch(path.dirname(file), () => wake?.());
  watcher.on('error', () => wake?.());
  const alive = () => {
    try {
      process.kill(monitorPid, 0);
      return fs.existsSync(path.dirname(file));
    } catch {
      return false;
    }
  };
  try {
    while (alive()) {
      rotateStep(file, maxFile);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    rotateStep(file, maxFile);
  } finally {
    watcher.close();
  }
}

function pidFile(containerDir: string): string {
  return path.join(containerDir, 'log-rotator.pid');
}

/** Starts the rotator of a container whose monitor just started (only for max-file above 1). */
export function startLogRotator(hako: string[], containerDir: string, logFile: string, maxFile: number | undefined, monitorPid: number | undefined): void {
  if (!maxFile || maxFile < 2 || !monitorPid) return;
  rotateStep(logFile, maxFile); // the second name exists before conmon can first replace the log
  spawnRecorded(pidFile(containerDir), [...hako, 'container-logrotate', logFile, String(maxFile), String(monitorPid)]);
}

export function stopLogRotator(containerDir: string): void {
  killRecorded(pidFile(containerDir));
}
