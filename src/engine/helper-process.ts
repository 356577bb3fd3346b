// Small helper processes that outlive the CLI beside a container (the health-check loop, the log
// rotator): each is started in a process group of its own, recorded with its start time in a pid
// file, and ended by `rm` through that record (a reused pid is told apart by the start time).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { procStat } from '../util/proc.js';

/** Starts `argv` detached, its own group leader, and records it in `pidFile`. */
export function spawnRecorded(pidFile: string, argv: string[]): void {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: 'ignore' });
  child.unref();
  if (child.pid) fs.writeFileSync(pidFile, `${child.pid} ${procStat(child.pid)?.startTime ?? ''}`);
}

/** SIGKILLs the process group recorded in `pidFile`, if that very process still runs. */
export function killRecorded(pidFile: string): void {
  let text: string;
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return; // never started
  }
  const [pidText, start = ''] = text.split(' ');
  const pid = Number(pidText);
  if (!pid || procStat(pid)?.startTime !== start) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
}
