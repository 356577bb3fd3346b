// Moving a process back into the cgroups of another (the runtime's own). The foreground monitor
// (hako-init in `fork wait` mode) must be in the container's cgroup when it forks, so the container
// inherits it and a new cgroup namespace is rooted there; after that it must leave, or it would count
// against the container's pids and memory limits (runc's own process stays outside too).
import fs from 'node:fs';
import path from 'node:path';
import { detectLayout, DEFAULT_CGROUP_ROOT } from './layout.js';
import { discoverV1Hierarchies } from './v1.js';

export function moveToCgroupsOf(pid: number, fromPid: number = process.pid, root = DEFAULT_CGROUP_ROOT): void {
  const lines = fs.readFileSync(`/proc/${fromPid}/cgroup`, 'utf8').trim().split('\n');
  const layout = detectLayout(root);
  if (layout === 'v2') {
    const rel = lines.find((l) => l.startsWith('0::'))?.slice(3);
    if (rel !== undefined) fs.writeFileSync(path.join(root, rel, 'cgroup.procs'), String(pid));
    return;
  }
  const hierarchies = discoverV1Hierarchies(root);
  for (const line of lines) {
    const [, ctrls, rel] = line.split(/:(.*?):/s);
    if (!ctrls) continue; // the unified line of a hybrid host: the v1 driver never moved it
    const wanted = ctrls.split(',').sort().join(',');
    const h = hierarchies.find((x) => [...x.controllers].sort().join(',') === wanted);
    if (h) fs.writeFileSync(path.join(h.mount, rel, 'cgroup.procs'), String(pid));
  }
}
