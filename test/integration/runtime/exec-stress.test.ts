// `hako runtime exec` under load: 500 execs of a command that exits at once, while a CPU hog keeps
// every core busy, and none may hang. The foreground monitor (hako-init's `fork wait`) once blocked
// SIGCHLD only after releasing the child, so a child that exited in between was never reaped and
// the exec waited forever (one to two execs in 500 here). Also: the exec'd process, and a foreground
// `run`'s, starts with no signal blocked or ignored although the monitor blocks them all.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { Harness, HAKO } from './harness.js';

const EXECS = 500;
// The CLI is CPU-bound (Node's start-up). More at a time than cores means more preemption, which
// is what opened the window: with 8 at a time, the old monitor hung in 2 of 500.
const CONCURRENCY = 8;
// A hang is forever; a slow exec on a loaded machine takes a few seconds at most.
const EXEC_TIMEOUT_MS = 30_000;

const h = new Harness();
const id = h.id('stress');
const hogs: ChildProcess[] = [];

before(() => {
  const r = h.hakoDetached(['run', '-d', '--bundle', h.bundle(['sleep', '100000']), id]);
  assert.equal(r.status, 0, r.stderr);
});
after(() => {
  for (const hog of hogs) hog.kill('SIGKILL');
  h.cleanup();
});

interface Outcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
}

/** The exec'd `sleep` with this unique argument (other tests on the machine run sleeps too). */
const SLEEP_ARG = `9${process.pid}`;
function sleeper(): number | undefined {
  for (const p of fs.readdirSync('/proc')) {
    try {
      if (/^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') === `sleep\x00${SLEEP_ARG}\x00`) return Number(p);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

function parentOf(pid: number): number {
  return Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

function childrenOf(pid: number): number[] {
  try {
    return fs
      .readdirSync(`/proc/${pid}/task`)
      .flatMap((t) => fs.readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

function execOnce(args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(HAKO, ['runtime', '--root', h.root, 'exec', id, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      // The hung monitor (hako-init, the CLI's child) holds the CLI's stderr open: it goes too.
      for (const pid of childrenOf(child.pid!))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      child.kill('SIGKILL');
    }, EXEC_TIMEOUT_MS);
    child.on('exit', (status, signal) => {
      if (timedOut) resolve({ status, signal, timedOut, stderr });
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, timedOut, stderr });
    });
  });
}

describe('exec under load', () => {
  it(`${EXECS} execs of a command that exits at once: none hangs`, { timeout: 20 * 60_000 }, async () => {
    for (let i = 0; i < Math.max(1, os.availableParallelism()); i++) {
      hogs.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
    }
    const started = Date.now();
    const hung: number[] = [];
    const failed: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < EXECS) {
        const n = next++;
        const r = await execOnce(['true']);
        if (r.timedOut) hung.push(n);
        else if (r.status !== 0) failed.push(`exec ${n}: status ${r.status} signal ${r.signal}: ${r.stderr.trim()}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    for (const hog of hogs) hog.kill('SIGKILL');
    const secs = (Date.now() - started) / 1000;
    process.stderr.write(`# ${EXECS} execs, ${CONCURRENCY} at a time, under ${hogs.length} CPU hogs: ${secs.toFixed(1)} s\n`);
    assert.deepEqual(hung, [], `execs that hung for ${EXEC_TIMEOUT_MS / 1000} s`);
    assert.deepEqual(failed, []);
  });

  it("the exec'd process starts with no signal blocked or ignored", async () => {
    const r = h.hako(['exec', id, 'grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  it("so does a foreground run's process", () => {
    const r = h.run(['grep', '-E', '^Sig(Blk|Ign)', '/proc/self/status']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  it("a signal sent to the monitor still reaches the exec'd process", async () => {
    const child = spawn(HAKO, ['runtime', '--root', h.root, 'exec', id, 'sleep', SLEEP_ARG], { stdio: 'ignore' });
    const end = Date.now() + 30_000;
    while (!sleeper() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const sleep = sleeper();
    assert.ok(sleep, "the exec'd sleep never started");
    // Its parent is the monitor (hako-init), the CLI's child. (The CLI forwards its own signals to
    // it, from a moment this test cannot see.)
    const monitor = parentOf(sleep);
    assert.deepEqual(childrenOf(child.pid!), [monitor]);
    process.kill(monitor, 'SIGTERM');
    const status = await new Promise<number | null>((resolve) => child.on('close', (s) => resolve(s)));
    assert.equal(status, 128 + os.constants.signals.SIGTERM);
  });
});
