// The engine's resource flags end to end, as root: -m, --memory-swap, --pids-limit, --cpus and
// --cpu-shares become linux.resources, the runtime applies them, and the container sees them in
// its own /sys/fs/cgroup. On both cgroup layouts: the v1 hybrid host here, and a pure v2 host
// (scripts/test-vm.sh runs this file in a v2 VM); test/fixtures/cgroup-layout.ts names the files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';
import { OWN_CGROUP_ROOT_LINE, cgroupFile, cpuQuotaText, cpuSharesText, readCgroupFile } from '../../fixtures/cgroup-layout.js';

const skip = engineSkip;
const MiB = 1024 * 1024;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

test("-m, --memory-swap, --pids-limit, --cpus, --cpu-shares reach the container's cgroup, seen from inside", { skip }, () => {
  const id = env
    .ok([
      'run',
      '-d',
      '--network',
      'none',
      '-m',
      '64m',
      '--memory-swap',
      '64m',
      '--pids-limit',
      '50',
      '--cpus',
      '0.5',
      '--cpu-shares',
      '512',
      IMAGE,
      'sleep',
      '1000',
    ])
    .trim();
  try {
    const files = [cgroupFile('memory'), cgroupFile('pids'), cgroupFile('cpuQuota'), cgroupFile('cpuShares')];
    const inside = env.ok(['exec', id, 'sh', '-c', `cat /proc/self/cgroup; echo ---; cat ${files.join(' ')}`]);
    const [procCgroup, limits] = inside.split('---\n');
    assert.match(procCgroup, OWN_CGROUP_ROOT_LINE);
    assert.deepEqual(limits.trim().split('\n'), [String(64 * MiB), '50', cpuQuotaText(50000, 100000), cpuSharesText(512)], files.join(' '));
    assert.equal(readCgroupFile('memory', `/hako/${id}`), String(64 * MiB));
  } finally {
    env.ok(['rm', '-f', id]);
  }
});

test('a container allocating past -m is OOM-killed: exit status 137, inspect says OOMKilled', { skip }, async () => {
  // conmon marks the kill with a file `oom` in its working directory: hako's must stay clean.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-cwd-'));
  try {
    const dd = [IMAGE, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'];
    const r = env.hako(['run', '--rm', '--network', 'none', '-m', '32m', '--memory-swap', '32m', ...dd], { timeout: 120_000, cwd });
    assert.equal(r.code, 137, r.stderr);
    const id = env.ok(['run', '-d', '--network', 'none', '-m', '32m', '--memory-swap', '32m', ...dd]).trim();
    await env.until('the container to exit', () => env.inspect(id).State.Status === 'exited', 120_000);
    const state = env.inspect(id).State;
    assert.deepEqual([state.ExitCode, state.OOMKilled], [137, true]);
    env.ok(['rm', id]);
    const other = env.ok(['run', '-d', '--network', 'none', IMAGE, 'sh', '-c', 'exit 3']).trim();
    await env.until('the container to exit', () => env.inspect(other).State.Status === 'exited', 120_000);
    assert.equal(env.inspect(other).State.OOMKilled, false);
    env.ok(['rm', other]);
    assert.deepEqual(fs.readdirSync(cwd), []);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

test('stats shows CPU, memory against the limit, and pids of running containers', { skip }, () => {
  const r = env.hako(['run', '-d', '--name', 'busy', '-m', '64m', '--network', 'none', IMAGE, 'sh', '-c', 'while :; do :; done']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(env.hako(['run', '-d', '--name', 'idle', '--network', 'none', IMAGE, 'sleep', '1000']).code, 0);
  const out = env.hako(['stats', '--no-stream']).stdout;
  const row = (name: string) => out.split('\n').find((l) => new RegExp(` ${name} `).test(l)) ?? assert.fail(out);
  const cpu = (name: string) => Number(/ ([\d.]+)% /.exec(row(name))![1]);
  // A loaded machine (CI here runs beside other work) gives the loop much less than a CPU.
  assert.ok(cpu('busy') > 5 && cpu('idle') < 1, `a busy loop shows CPU use, a sleeper none:\n${out}`);
  assert.match(row('busy'), /\/ 67\.1MB/);
  assert.match(row('busy'), / 1$/);
  assert.equal(env.hako(['rm', '-f', 'busy', 'idle']).code, 0);
});

test('stats: NET I/O and BLOCK I/O columns, --format, -a and --no-trunc', { skip }, () => {
  env.ok(['run', '-d', '--name', 'quiet', '--network', 'none', IMAGE, 'sleep', '1000']);
  env.ok(['create', '--name', 'notyet', '--network', 'none', IMAGE, 'true']);
  try {
    const out = env.ok(['stats', '--no-stream']);
    assert.match(out.split('\n')[0]!, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    assert.ok(!out.includes('notyet'), 'only running containers without -a');
    const line = env.ok(['stats', '--no-stream', '--format', '{{.Name}}|{{.NetIO}}|{{.BlockIO}}|{{.PIDs}}', 'quiet']).trim();
    // --network none: only lo, which docker does not count.
    assert.match(line, /^quiet\|0B \/ 0B\|\d[\d.]*[kMG]?B \/ \d[\d.]*[kMG]?B\|1$/);
    const all = env.ok(['stats', '--no-stream', '-a', '--no-trunc', '--format', '{{.ID}} {{.Name}} {{.CPUPerc}} {{.PIDs}}']);
    assert.match(all, /^[0-9a-f]{64} notyet 0\.00% 0$/m);
    assert.match(all, /^[0-9a-f]{64} quiet [\d.]+% 1$/m);
    env.ok(['run', '-d', '--name', 'onhost', '--network', 'host', IMAGE, 'sleep', '1000']);
    assert.match(env.ok(['stats', '--no-stream', '--format', '{{.NetIO}}', 'onhost']), /^0B \/ 0B\n$/, "--network host: not the host's traffic");
    env.ok(['rm', '-f', 'onhost']);
    const json = JSON.parse(env.ok(['stats', '--no-stream', '--format', 'json', 'quiet']).trim());
    assert.equal(json.Name, 'quiet');
    assert.ok('NetIO' in json && 'BlockIO' in json && 'MemPerc' in json);
  } finally {
    env.ok(['rm', '-f', 'quiet', 'notyet']);
  }
});
