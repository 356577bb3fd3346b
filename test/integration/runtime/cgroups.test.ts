// linux.resources applied for real, and the commands that use the cgroup: update, pause/resume, ps,
// events, kill --all. On both cgroup layouts: the v1 hybrid host here, and a pure v2 host
// (scripts/test-vm.sh runs this file in a v2 VM); test/fixtures/cgroup-layout.ts names the files.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Harness, HAKO } from './harness.js';
import {
  CGROUP_LAYOUT,
  FROZEN_TEXT,
  OWN_CGROUP_ROOT_LINE,
  cgroupFile,
  cpuQuotaText,
  cpuSharesText,
  existingCgroupDirs,
  readCgroupFile,
} from '../../fixtures/cgroup-layout.js';

const h = new Harness();
after(() => h.cleanup());
const MiB = 1024 * 1024;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const cpuTicks = (pid: number) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(x[11]) + Number(x[12]);
};
const skip = process.getuid?.() !== 0 ? 'needs root' : false;

function detached(args: string[], edit: Parameters<Harness['bundle']>[1]): { id: string; pid: number; bundle: string } {
  const id = h.id();
  const bundle = h.bundle(args, edit);
  const r = h.hakoDetached(['run', '--detach', '--bundle', bundle, id]);
  assert.equal(r.status, 0, r.stdout);
  return { id, pid: JSON.parse(h.hako(['state', id]).stdout).pid, bundle };
}

/** `hako runtime events` on `id`, its output so far and its exit. */
function events(id: string) {
  const child = spawn(HAKO, ['runtime', '--root', h.root, 'events', '--interval', '200ms', id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(`cgroups through the runtime (${CGROUP_LAYOUT} layout)`, { skip }, () => {
  it('the container sees its own cgroup as the root and its limits in /sys/fs/cgroup', () => {
    const files = [cgroupFile('memory'), cgroupFile('pids'), cgroupFile('cpuQuota')];
    const r = h.run(['sh', '-c', `cat /proc/self/cgroup; echo ---; cat ${files.join(' ')}`], (s) => {
      s.linux!.resources = { memory: { limit: 50 * MiB }, pids: { limit: 33 }, cpu: { quota: 20000, period: 100000 } };
    });
    assert.equal(r.status, 0, r.stderr);
    const [procCgroup, limits] = r.stdout.split('---\n');
    assert.match(procCgroup, OWN_CGROUP_ROOT_LINE);
    assert.deepEqual(limits.trim().split('\n'), [String(50 * MiB), '33', cpuQuotaText(20000, 100000)], files.join(' '));
  });

  it('a process allocating past the memory limit is OOM-killed and events reports it', async () => {
    const { id } = detached(['sh', '-c', 'sleep 1; head -c 200m /dev/zero | tail > /dev/null; sleep 60'], (s) => {
      s.linux!.resources = { memory: { limit: 50 * MiB, swap: 50 * MiB } };
    });
    const ev = events(id);
    try {
      await until('an oom event', () => /"type":"oom"/.test(ev.out()));
    } finally {
      ev.child.kill();
    }
    const stats = JSON.parse(h.hako(['events', '--stats', id]).stdout);
    assert.equal(stats.type, 'stats');
    assert.ok(stats.data.memory.oom_kills >= 1);
    assert.equal(stats.data.memory.usage.limit, 50 * MiB);
    assert.match(readCgroupFile('memoryEvents', `/hako/${id}`), /^oom_kill [1-9]/m);
  });

  it('events reports the OOM kill that stops the container, then ends', async () => {
    // The container's init itself is the process killed; it waits for /go so that events is
    // already watching (its first stats line) before the allocation starts.
    const { id, bundle } = detached(['sh', '-c', 'while [ ! -e /go ]; do sleep 0.1; done; exec dd if=/dev/zero of=/dev/null bs=100M count=1'], (s) => {
      s.linux!.resources = { memory: { limit: 50 * MiB, swap: 50 * MiB } };
    });
    const ev = events(id);
    try {
      await until('the first stats event', () => /"type":"stats"/.test(ev.out()));
      fs.writeFileSync(path.join(bundle, 'rootfs', 'go'), '');
      assert.equal(await within('events to end', ev.exited, 90_000), 0, ev.err());
    } finally {
      ev.child.kill();
    }
    assert.equal(JSON.parse(h.hako(['state', id]).stdout).status, 'stopped');
    assert.equal(ev.out().match(/"type":"oom"/g)?.length, 1, ev.out());
    assert.equal(h.hako(['delete', id]).status, 0);
  });

  it('a pids limit stops a fork bomb', () => {
    const r = h.run(['sh', '-c', 'i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); done; echo all forked'], (s) => {
      s.linux!.resources = { pids: { limit: 10 } };
    });
    assert.match(r.stderr, /can't fork: Resource temporarily unavailable/);
    assert.doesNotMatch(r.stdout, /all forked/);
  });

  it('cpu quota limits a busy loop', () => {
    const { id, pid } = detached(['sh', '-c', 'while :; do :; done'], (s) => {
      s.linux!.resources = { cpu: { quota: 10000, period: 100000 } };
    });
    assert.equal(readCgroupFile('cpuQuota', `/hako/${id}`), cpuQuotaText(10000, 100000));
    const t0 = cpuTicks(pid);
    sleep(1000);
    const used = cpuTicks(pid) - t0; // clock ticks (100/s): unlimited would be ~100
    assert.ok(used <= 30, `used ${used} ticks in 1 s with a 10% quota`);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('devices: mknod of any node is allowed, opening only what a rule allows (v1 devices cgroup, v2 eBPF)', () => {
    // c 42:42 has no driver: an open the device rules let through fails in the driver (ENXIO); one
    // they refuse fails before it (EPERM). CAP_MKNOD for mknod; runc's default "c *:* m" allows it.
    const script = 'mknod /dev/x c 42 42 && echo mknod-ok; cat /dev/x; cat /dev/null && echo null-ok';
    const withMknod = (s: Parameters<NonNullable<Parameters<Harness['bundle']>[1]>>[0]) => {
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_MKNOD');
    };
    let r = h.run(['sh', '-c', script], withMknod);
    assert.equal(r.stdout, 'mknod-ok\nnull-ok\n', r.stderr);
    assert.match(r.stderr, /^cat: can't open '\/dev\/x': Operation not permitted$/m);
    r = h.run(['sh', '-c', script], (s) => {
      withMknod(s);
      s.linux!.resources!.devices!.push({ allow: true, type: 'c', major: 42, minor: 42, access: 'r' });
    });
    assert.equal(r.stdout, 'mknod-ok\nnull-ok\n', r.stderr);
    assert.match(r.stderr, /^cat: can't open '\/dev\/x': No such device or address$/m);
  });

  it('update changes the limits of a running container', () => {
    const { id, pid } = detached(['sleep', '60'], (s) => {
      s.linux!.resources = { memory: { limit: 64 * MiB } };
    });
    const cg = `/hako/${id}`;
    assert.equal(readCgroupFile('memory', cg), String(64 * MiB));
    let r = h.hako(['update', '--memory', '128m', '--pids-limit', '50', id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readCgroupFile('memory', cg), String(128 * MiB));
    assert.equal(readCgroupFile('pids', cg), '50');
    // exec joins the container's cgroup (and cgroup namespace): the new limits, seen from inside.
    r = h.hako(['exec', id, 'sh', '-c', `cat ${cgroupFile('memory')} ${cgroupFile('pids')} /proc/self/cgroup`]);
    assert.equal(r.stdout.split('\n').slice(0, 2).join(' '), `${128 * MiB} 50`, r.stderr);
    assert.match(r.stdout, OWN_CGROUP_ROOT_LINE);
    const file = `${h.root}/res.json`;
    fs.writeFileSync(file, JSON.stringify({ cpu: { shares: 512 } }));
    r = h.hako(['update', '--resources', file, id]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readCgroupFile('cpuShares', cg), cpuSharesText(512));
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
    assert.equal(readCgroupFile('freezer', `/hako/${id}`), FROZEN_TEXT);
    const t0 = cpuTicks(pid);
    sleep(500);
    assert.equal(cpuTicks(pid), t0, 'no CPU time while frozen');
    assert.notEqual(h.hako(['pause', id]).status, 0, 'a paused container cannot be paused again');
    assert.equal(h.hako(['resume', id]).status, 0);
    assert.equal(JSON.parse(h.hako(['state', id]).stdout).status, 'running');
    assert.notEqual(readCgroupFile('freezer', `/hako/${id}`), FROZEN_TEXT);
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

  it("ps lists the container's processes; kill --all signals them all", () => {
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
    assert.notDeepEqual(existingCgroupDirs(`/hako/${id}`), []);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
    assert.deepEqual(existingCgroupDirs(`/hako/${id}`), []);
    const bad = h.id();
    const r = h.hako([
      'run',
      '--bundle',
      h.bundle(['true'], (s) => {
        s.linux!.resources = { cpu: { cpus: '99-100' } };
      }),
      bad,
    ]);
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^hako: cgroup cpuset: .*cpuset\.cpus/);
    assert.deepEqual(existingCgroupDirs(`/hako/${bad}`), []);
    assert.ok(!fs.existsSync(`${h.root}/${bad}`));
  });
});
