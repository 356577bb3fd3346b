// linux.resources applied for real (cgroup v1 on this VM), and the commands that use the cgroup:
// update, pause/resume, ps, events, kill --all.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Harness, HAKO } from './harness.js';
import { detectLayout } from '../../../src/cgroups/index.js';

const h = new Harness();
after(() => h.cleanup());
const v1 = detectLayout() !== 'v2';
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const cpuTicks = (pid: number) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(x[11]) + Number(x[12]);
};

function detached(args: string[], edit: Parameters<Harness['bundle']>[1]): { id: string; pid: number } {
  const id = h.id();
  const r = h.hakoDetached(['run', '--detach', '--bundle', h.bundle(args, edit), id]);
  assert.equal(r.status, 0, r.stdout);
  return { id, pid: JSON.parse(h.hako(['state', id]).stdout).pid };
}

describe('cgroups through the runtime', { skip: !v1 && 'the cgroup v1 driver tests need a v1 or hybrid host' }, () => {
  it('the container sees its own cgroup as the root and its limits in /sys/fs/cgroup', () => {
    const r = h.run(['sh', '-c', 'grep memory /proc/self/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us'], (s) => {
      s.linux!.resources = { memory: { limit: 50 * 1024 * 1024 }, pids: { limit: 33 }, cpu: { quota: 20000, period: 100000 } };
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['4:memory:/', String(50 * 1024 * 1024), '33', '20000'].map((x, i) => (i === 0 ? r.stdout.split('\n')[0] : x)));
    assert.match(r.stdout.split('\n')[0], /:memory:\/$/);
  });

  it('a process allocating past memory.limit is OOM-killed and events reports it', async () => {
    const { id } = detached(['sh', '-c', 'sleep 1; head -c 200m /dev/zero | tail > /dev/null; sleep 60'], (s) => {
      s.linux!.resources = { memory: { limit: 50 * 1024 * 1024, swap: 50 * 1024 * 1024 } };
    });
    const events = spawn(HAKO, ['runtime', '--root', h.root, 'events', '--interval', '200ms', id]);
    let out = '';
    events.stdout.on('data', (d) => { out += d; });
    const deadline = Date.now() + 15_000;
    while (!/"type":"oom"/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    events.kill();
    assert.match(out, /"type":"oom"/);
    const stats = JSON.parse(h.hako(['events', '--stats', id]).stdout);
    assert.equal(stats.type, 'stats');
    assert.ok(stats.data.memory.oom_kills >= 1);
    assert.equal(stats.data.memory.usage.limit, 50 * 1024 * 1024);
  });

  it('a pids limit stops a fork bomb', () => {
    const r = h.run(['sh', '-c', 'i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo all forked'], (s) => {
      s.linux!.resources = { pids: { limit: 10 } };
    });
    assert.match(r.stderr, /can't fork: Resource temporarily unavailable/);
    assert.doesNotMatch(r.stdout, /all forked/);
  });

  it('cpu quota limits a busy loop', () => {
    const { id, pid } = detached(['sh', '-c', 'while :; do :; done'], (s) => { s.linux!.resources = { cpu: { quota: 10000, period: 100000 } }; });
    const t0 = cpuTicks(pid);
    sleep(1000);
    const used = cpuTicks(pid) - t0; // clock ticks (100/s): unlimited would be ~100
    assert.ok(used <= 30, `used ${used} ticks in 1 s with a 10% quota`);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('update changes the limits of a running container', () => {
    const { id, pid } = detached(['sleep', '60'], (s) => { s.linux!.resources = { memory: { limit: 64 * 1024 * 1024 } }; });
    const memDir = `/sys/fs/cgroup/memory/hako/${id}`;
    assert.equal(fs.readFileSync(`${memDir}/memory.limit_in_bytes`, 'utf8').trim(), String(64 * 1024 * 1024));
    let r = h.hako(['update', '--memory', '128m', '--pids-limit', '50', id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(`${memDir}/memory.limit_in_bytes`, 'utf8').trim(), String(128 * 1024 * 1024));
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/pids/hako/${id}/pids.max`, 'utf8').trim(), '50');
    const file = `${h.root}/res.json`;
    fs.writeFileSync(file, JSON.stringify({ cpu: { shares: 512 } }));
    r = h.hako(['update', '--resources', file, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(fs.readFileSync(`/sys/fs/cgroup/cpu/hako/${id}/cpu.shares`, 'utf8').trim(), '512');
    r = h.hako(['update', '--cpuset-cpus', '99-100', id]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^hako: cgroup cpuset: .*cpuset\.cpus/);
    assert.ok(fs.existsSync(`/proc/${pid}`), 'a refused update leaves the container running');
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('pause freezes and resume thaws', () => {
    const { id, pid } = detached(['sh', '-c', 'while :; do :; done'], () => {});
    assert.equal(h.hako(['pause', id]).status, 0);
    assert.equal(JSON.parse(h.hako(['state', id]).stdout).status, 'paused');
    const t0 = cpuTicks(pid);
    sleep(500);
    assert.equal(cpuTicks(pid), t0, 'no CPU time while frozen');
    assert.notEqual(h.hako(['pause', id]).status, 0, 'a paused container cannot be paused again');
    assert.equal(h.hako(['resume', id]).status, 0);
    assert.equal(JSON.parse(h.hako(['state', id]).stdout).status, 'running');
    sleep(300);
    assert.ok(cpuTicks(pid) > t0, 'runs again');
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('delete --force of a paused container thaws it to kill it', () => {
    const { id, pid } = detached(['sleep', '100'], () => {});
    assert.equal(h.hako(['pause', id]).status, 0);
    const t0 = Date.now();
    const r = h.hako(['delete', '--force', id]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(Date.now() - t0 < 4000, 'no 5 s wait for a frozen process');
    assert.ok(!fs.existsSync(`/proc/${pid}`) || fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z', 'the process is gone');
    assert.equal(fs.existsSync(path.join(h.root, id)), false, 'no state left');
  });

  it('ps lists the container\'s processes; kill --all signals them all', () => {
    const { id, pid } = detached(['sh', '-c', 'sleep 100 & sleep 100 & wait'], () => {});
    sleep(200);
    const pids: number[] = JSON.parse(h.hako(['ps', '--format', 'json', id]).stdout);
    assert.equal(pids.length, 3);
    assert.ok(pids.includes(pid));
    assert.match(h.hako(['ps', id]).stdout, /^UID\s+PID\s+PPID\s+STAT\s+CMD\n(.*sleep 100\n){2}|sh -c/m);
    assert.equal(h.hako(['kill', '--all', id, 'KILL']).status, 0);
    sleep(200);
    for (const p of pids) assert.ok(!fs.existsSync(`/proc/${p}/cmdline`) || fs.readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z'), `${p} survived`);
    assert.equal(h.hako(['delete', id]).status, 0);
  });

  it('delete removes the cgroup; a rejected value leaves nothing', () => {
    const { id } = detached(['sleep', '60'], () => {});
    assert.ok(fs.existsSync(`/sys/fs/cgroup/memory/hako/${id}`));
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
    assert.ok(!fs.existsSync(`/sys/fs/cgroup/memory/hako/${id}`));
    const bad = h.id();
    const r = h.hako(['run', '--bundle', h.bundle(['true'], (s) => { s.linux!.resources = { cpu: { cpus: '99-100' } }; }), bad]);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^hako: cgroup cpuset: .*cpuset\.cpus/);
    for (const c of ['memory', 'cpuset', 'pids', 'cpu']) assert.ok(!fs.existsSync(`/sys/fs/cgroup/${c}/hako/${bad}`), `${c} cgroup left`);
    assert.ok(!fs.existsSync(`${h.root}/${bad}`));
  });
});
