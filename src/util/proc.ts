// What /proc says about a process: whether a pid is still the process we started (its start time)
// and what it is doing (its state letter). Used by the runtime's state and the engine's records.
import fs from 'node:fs';

/** Start time and state letter of a pid from /proc/<pid>/stat, or undefined if it is gone. */
export function procStat(pid: number): { startTime: string; state: string } | undefined {
  const stat = readStat(pid);
  if (!stat) return undefined;
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], startTime: fields[19] };
}

function readStat(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

/** Whether `pid` exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
