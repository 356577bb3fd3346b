// `hako update`: limits reach a running container's cgroup at once (seen from inside), stay for the
// next start, and the restart policy changes; bad values are refused with 125.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';
import { cgroupFile, cpuQuotaText } from '../../fixtures/cgroup-layout.js';

const skip = engineSkip;
const MiB = 1024 * 1024;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

const limits = (id: string) =>
  env
    .ok(['exec', id, 'cat', cgroupFile('memory'), cgroupFile('pids'), cgroupFile('cpuQuota')])
    .trim()
    .split('\n');

test("update changes a running container's limits at once, and they stay after a restart", { skip }, () => {
  const id = env.ok(['run', '-d', '--network', 'none', '-m', '64m', '--pids-limit', '50', IMAGE, 'sleep', '1000']).trim();
  assert.equal(env.ok(['update', '-m', '96m', '--memory-swap', '96m', '--pids-limit', '70', '--cpus', '0.5', id]), `${id}\n`);
  assert.deepEqual(limits(id), [String(96 * MiB), '70', cpuQuotaText(50000, 100000)]);
  const [doc] = JSON.parse(env.ok(['inspect', id]));
  assert.equal(doc.HostConfig.Memory, 96 * MiB);
  assert.equal(doc.HostConfig.PidsLimit, 70);
  assert.equal(doc.HostConfig.NanoCpus, 5e8);
  env.ok(['restart', '-t', '0', id]);
  assert.deepEqual(limits(id), [String(96 * MiB), '70', cpuQuotaText(50000, 100000)], 'the next start runs with them');
  env.ok(['rm', '-f', id]);
});

test('update --restart changes the policy of a stopped container', { skip }, () => {
  const id = env.ok(['create', '--network', 'none', IMAGE, 'true']).trim();
  env.ok(['update', '--restart', 'on-failure:3', id]);
  const [doc] = JSON.parse(env.ok(['inspect', id]));
  assert.deepEqual(doc.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  env.ok(['rm', id]);
  const rm = env.ok(['create', '--rm', '--network', 'none', IMAGE, 'true']).trim();
  assert.match(env.hako(['update', '--restart', 'always', rm]).stderr, /AutoRemove is enabled/);
  env.ok(['rm', rm]);
});

test('bad values exit 125 with one line', { skip }, () => {
  for (const [args, re] of [
    [['update', '-m', 'lots', 'x'], /invalid argument "lots" for "--memory" flag/],
    [['update', '-m', '1m', 'x'], /the minimum memory limit is 6m/],
    [['update', '--cpus', '-1', 'x'], /invalid argument "-1" for "--cpus" flag/],
    [['update', 'x'], /you must provide one or more flags/],
    [['update', '--restart', 'sometimes', 'x'], /restart/],
  ] as [string[], RegExp][]) {
    const r = env.hako(args);
    assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
