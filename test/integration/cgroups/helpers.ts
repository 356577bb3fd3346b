// Shared bits of the cgroup integration tests: processes started inside a cgroup and waiting helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Cgroup } from '../../../src/cgroups/index.js';

export const BUSYBOX = '/bin/busybox';

export function testBase(): string {
  return `/hako-test-${randomBytes(4).toString('hex')}`;
}

/** A test file's cgroups under one fresh base: `cgroup(name)` opens base/name and remembers it;
 *  `cleanup()` removes them, the last opened first, then the base itself. */
export function testCgroups(open: (path: string) => Cgroup): { base: string; baseCg: Cgroup; cgroup: (name: string) => Cgroup; cleanup: () => Promise<void> } {
  const base = testBase();
  const baseCg = open(base);
  const opened: Cgroup[] = [];
  return {
    base,
    baseCg,
    cgroup: (name) => {
      const cg = open(`${base}/${name}`);
      opened.push(cg);
      return cg;
    },
    cleanup: async () => {
      for (const cg of opened.reverse()) await cleanupCgroup(cg);
      await cleanupCgroup(baseCg);
    },
  };
}

export interface Started {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `busybox sh -c script` that waits on stdin until it is in `cg`, so every instruction of
 *  the script runs inside the cgroup. */
export function startInCgroup(cg: Cgroup, script: string): Started {
  const child = spawn(BUSYBOX, ['sh', '-c', `read _go; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    cg.addProcess(child.pid!);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  child.stdin!.end('go\n');
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

/** Polls `cond` every 20 ms; rejects after `ms` (a hang guard, not a timing assertion). */
export async function waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function withTimeout<T>(what: string, p: Promise<T>, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** utime + stime of a process in clock ticks, and its state letter, from /proc/<pid>/stat. */
export function procCpu(pid: number): { ticks: number; state: string } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(f[11]) + Number(f[12]), state: f[0]! };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Kills every process of `cg` (if it still exists) and removes it; for after() hooks. */
export async function cleanupCgroup(cg: Cgroup): Promise<void> {
  if (!cg.exists()) return;
  try {
    cg.thaw();
  } catch {
    /* not frozen / no freezer */
  }
  try {
    cg.killAll(9);
  } catch {
    /* processes may be gone already */
  }
  await waitFor('cgroup to empty', () => cg.pids().length === 0, 5_000).catch(() => undefined);
  cg.destroy();
}
