// bin/hako changes the environment for Node's own start-up only; the CLI undoes that first thing,
// so the programs hako starts (conmon, hooks, CNI plugins, newuidmap) see the user's environment.
// - NODE_EXTRA_CA_CERTS is moved aside (extra-ca.ts says why).
// - GLIBC_TUNABLES gets glibc.malloc.hugetlb=1: malloc then asks for transparent huge pages
//   (madvise), and Node's start from a snapshot (a 5 MB file read into malloc'd memory, and
//   copied once more) takes about 1,400 fewer page faults: ~7 ms of a ~60 ms start on the dev VM.
//   The user's value is kept in HAKO_GLIBC_TUNABLES: "=VALUE" if it was set, "" if it was not.
import { restoreExtraCaCerts } from './extra-ca.js';

export function restoreLauncherEnv(env: NodeJS.ProcessEnv = process.env): void {
  restoreExtraCaCerts(env);
  const saved = env.HAKO_GLIBC_TUNABLES;
  if (saved === undefined) return; // not started by bin/hako
  delete env.HAKO_GLIBC_TUNABLES;
  if (saved.startsWith('=')) env.GLIBC_TUNABLES = saved.slice(1);
  else delete env.GLIBC_TUNABLES;
}
