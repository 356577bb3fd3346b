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

/**
 * A foreground `run -i/-t --rm` has no conmon: if its `hako` dies (kill -9, a closed terminal), no
 * one would remove the container. This guard waits for that process to end, then runs `rm -f`; the
 * `hako` that removes the container itself ends the guard first (endRemovalGuard). The guard drops
 * its pid file before it acts, so the removal it starts does not end the guard itself.
 */
export function startRemovalGuard(pidFile: string, watchedPid: number, rmArgv: string[]): void {
  const script = 'P=$1 F=$2; shift 2; tail -f --pid="$P" /dev/null 2>/dev/null; rm -f "$F"; exec "$@" >/dev/null 2>&1';
  spawnRecorded(pidFile, ['/bin/sh', '-c', script, 'hako-rm-guard', String(watchedPid), pidFile, ...rmArgv]);
}
