// The engine's resource flags end to end, as root: -m, --memory-swap, --pids-limit, --cpus and
// --cpu-shares become linux.resources, the runtime applies them, and the container sees them in
// its own /sys/fs/cgroup. On both cgroup layouts: the v1 hybrid host here, and a pure v2 host
// (scripts/test-vm.sh runs this file in a v2 VM); test/fixtures/cgroup-layout.ts names the files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EngineEnv, IMAGE, isRoot, hasConmon, built } from './harness.js';
import { OWN_CGROUP_ROOT_LINE, cgroupFile, cpuQuotaText, cpuSharesText, readCgroupFile } from '../../fixtures/cgroup-layout.js';

const skip = !isRoot ? 'needs root' : !hasConmon ? 'needs /usr/bin/conmon (Debian conmon)' : !built ? 'needs npm run build (dist/hako.cjs)' : false;
const MiB = 1024 * 1024;
let env: EngineEnv;

before(() => { if (!skip) env = new EngineEnv(); });
after(() => {
  if (!env) return;
  const left = env.cleanup();
  assert.deepEqual(left, [], 'removing every container left things behind');
});

test('-m, --memory-swap, --pids-limit, --cpus, --cpu-shares reach the container\'s cgroup, seen from inside', { skip }, () => {
  const id = env.ok(['run', '-d', '--network', 'none', '-m', '64m', '--memory-swap', '64m', '--pids-limit', '50', '--cpus', '0.5', '--cpu-shares', '512', IMAGE, 'sleep', '1000']).trim();
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

test('a container allocating past -m is OOM-killed: exit status 137', { skip }, () => {
  const r = env.hako(['run', '--rm', '--network', 'none', '-m', '32m', '--memory-swap', '32m', IMAGE, 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=100M', 'count=1'], { timeout: 120_000 });
  assert.equal(r.code, 137, r.stderr);
});

test('stats shows CPU, memory against the limit, and pids of running containers', { skip }, () => {
  const r = env.hako(['run', '-d', '--name', 'busy', '-m', '64m', '--network', 'none', IMAGE, 'sh', '-c', 'while :; do :; done']);
  assert.equal(r.code, 0, r.stderr);
  const out = env.hako(['stats', '--no-stream']).stdout;
  const row = out.split('\n').find((l) => / busy /.test(l));
  assert.ok(row, out);
  const cpu = Number(/ ([\d.]+)% /.exec(row)![1]);
  assert.ok(cpu > 30, `a busy loop shows CPU use: ${row}`);
  assert.match(row, /\/ 67\.1MB/);
  assert.match(row, / 1$/);
  assert.equal(env.hako(['rm', '-f', 'busy']).code, 0);
});
