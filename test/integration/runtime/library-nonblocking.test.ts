// The library does not block its caller: a server embedding `Runtime` (import { Runtime } from
// 'hako') keeps answering while it starts containers. An HTTP server in this process answers a
// trivial endpoint; a client in another process asks it continuously (one request at a time) while
// 20 containers are created, started, killed and deleted through the library here. The issue
// (15) sets the bar: p99 response time under 20 ms, in the best of up to three rounds. The
// server's event-loop delay is reported, and a stall of a second fails at once. When every round
// misses the bar while the host's CPUs are saturated by other work (PSI), the test is skipped with
// the figures: each synchronous step then takes several times its own length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { Runtime } from '../../../src/index.js';
import { makeBundle } from '../../fixtures/busybox.js';

const skip = process.getuid?.() !== 0 ? 'needs root (containers are created for real)' : false;
const CONTAINERS = 20;
const PARALLEL = 2;
const BAR_MS = 20;
const MIN_SAMPLES = 400;
/** A round lasts at least this long (the churn usually takes 1-3 s). */
const ROUND_MS = 3000;

// The client: sequential keep-alive GETs; prints one response time (ms) a line until stdin closes.
const CLIENT = `
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let stop = false;
process.stdin.on('end', () => { stop = true; }).resume();
const once = () => new Promise((resolve, reject) => {
  const t0 = process.hrtime.bigint();
  http.get({ host: '127.0.0.1', port: Number(process.argv[1]), path: '/ping', agent }, (res) => {
    res.resume();
    res.on('end', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
  }).on('error', reject);
});
(async () => {
  const out = [];
  while (!stop) out.push(await once());
  process.stdout.write(out.join('\\n'));
  agent.destroy();
})();
`;

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}

/** Creates, starts, kills and deletes CONTAINERS containers through the library, PARALLEL at a time. */
async function churn(rt: Runtime, bundle: string, round: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < CONTAINERS) {
      const id = `lib-nb-${process.pid}-${round}-${next++}`;
      await rt.run(id, { bundle, detach: true, stdio: ['ignore', 'ignore', 'ignore'] });
      assert.equal(rt.state(id).status, 'running');
      await rt.delete(id, { force: true });
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

async function round(rt: Runtime, bundle: string, n: number): Promise<{ responseP99: number; loopP99: number; loopMax: number; samples: number }> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = spawn(process.execPath, ['-e', CLIENT, String((server.address() as AddressInfo).port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  client.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise((r) => client.once('close', r));
  const loop = monitorEventLoopDelay({ resolution: 1 });
  await new Promise((r) => setTimeout(r, 200)); // the client is up and asking
  loop.enable();
  const started = Date.now();
  await churn(rt, bundle, n);
  // Enough samples even when the starts were quick.
  while (Date.now() - started < ROUND_MS) await new Promise((r) => setTimeout(r, 50));
  loop.disable();
  client.stdin.end();
  await exited;
  server.close();
  const times = out.split('\n').filter(Boolean).map(Number);
  return { responseP99: p99(times), loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6, samples: times.length };
}

/** The share of time some task waited for a CPU over the last 10 s (PSI), or undefined. */
function cpuPressure(): number | undefined {
  try {
    return Number(/some avg10=([\d.]+)/.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

test(`a server embedding the library answers within ${BAR_MS} ms (p99) while ${CONTAINERS} containers start`, { skip, timeout: 300_000 }, async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-lib-nb-'));
  const bundle = makeBundle(['sleep', '1000'], (spec) => {
    spec.root!.readonly = true;
  });
  const warnings: string[] = [];
  const rt = new Runtime({ root, onWarning: (m) => warnings.push(m) });
  try {
    // Before our own load: the host's CPU pressure from other work (PSI, the last 10 s).
    const hostPressure = cpuPressure();
    // One container first: what the first start loads and compiles once is not what is measured.
    await rt.run(`lib-nb-${process.pid}-warm`, { bundle, detach: true, stdio: ['ignore', 'ignore', 'ignore'] });
    await rt.delete(`lib-nb-${process.pid}-warm`, { force: true });
    const rounds = [];
    for (let n = 0; n < 3; n++) {
      const r = await round(rt, bundle, n);
      rounds.push(r);
      t.diagnostic(
        `round ${n + 1}: ${r.samples} responses, p99 ${r.responseP99.toFixed(1)} ms; event-loop delay p99 ${r.loopP99.toFixed(1)} ms, max ${r.loopMax.toFixed(1)} ms`,
      );
      // Never a long stall, whatever the load: a wait done by blocking (a lock, a dying process) is.
      assert.ok(r.loopMax < 1000, `the event loop stood still for ${r.loopMax.toFixed(0)} ms`);
      if (r.samples >= MIN_SAMPLES && r.responseP99 < BAR_MS) break;
    }
    assert.deepEqual(warnings, []);
    assert.deepEqual(rt.list(), [], 'every container was deleted');
    const best = rounds.reduce((a, b) => (b.responseP99 < a.responseP99 ? b : a));
    if (best.samples >= MIN_SAMPLES && best.responseP99 < BAR_MS) return;
    // Every round missed: on a host whose CPUs are saturated by other work, every synchronous step
    // (spawning a process, a cgroup mkdir) takes several times as long as the work itself.
    if (hostPressure !== undefined && hostPressure > 50) {
      t.skip(
        `host CPU saturated by other work before the test (PSI cpu some avg10 ${hostPressure}%): best p99 ${best.responseP99.toFixed(1)} ms cannot be told from the load`,
      );
      return;
    }
    assert.fail(`response p99 ${best.responseP99.toFixed(1)} ms (${best.samples} responses) in the best of ${rounds.length} rounds`);
  } finally {
    for (const s of rt.list()) await rt.delete(s.id, { force: true }).catch(() => {});
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(bundle, { recursive: true, force: true });
  }
});
