// Finding the processes that stay alive for a detached container (podman's conmon, hako's monitor,
// nothing for runc/crun) and reading their memory from /proc/<pid>/status.
import fs from 'node:fs';

export interface Stayer {
  pid: number;
  comm: string;
  rssKiB: number;
  hwmKiB: number;
}

export function listPids(): Set<number> {
  return new Set(
    fs
      .readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number),
  );
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function link(file: string): string | undefined {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined;
  }
}

/** Processes that appeared since `before`, live in our PID namespace (the container's own
 *  processes are in another one and are not overhead), and carry `tag` in their command line or
 *  environment (the bench passes HAKO_BENCH_TAG=<tag> and uses the tag as container id/name), so
 *  unrelated processes started meanwhile on the machine are not counted. */
export function stayers(before: Set<number>, tag: string): Stayer[] {
  const ourNs = link('/proc/self/ns/pid');
  const found: Stayer[] = [];
  for (const pid of listPids()) {
    if (before.has(pid) || pid === process.pid) continue;
    if (link(`/proc/${pid}/ns/pid`) !== ourNs) continue;
    const cmdline = read(`/proc/${pid}/cmdline`) ?? '';
    const environ = read(`/proc/${pid}/environ`) ?? '';
    if (!cmdline.includes(tag) && !environ.includes(`HAKO_BENCH_TAG=${tag}`)) continue;
    const status = read(`/proc/${pid}/status`);
    if (!status || /^State:\s+Z/m.test(status)) continue;
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    found.push({ pid, comm: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?', rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') });
  }
  return found;
}
