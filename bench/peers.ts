// The OCI runtimes under test and how to call them. All take the runc command line: global flags
// (--root <state dir>) before the subcommand. hako is run through `node bin/hako runtime`, exactly
// as a user would, so its Node start-up is part of its number.
import fs from 'node:fs';
import path from 'node:path';
import type { Cmd } from './proc.js';
import { timed, which } from './proc.js';

export interface RuntimeCli {
  name: string;
  hako: boolean;
  /** Why it cannot be measured (not installed / failed its probe), or undefined when usable. */
  unavailable?: string;
  /** State directory given with --root; one per peer, inside the bench's temp dir. */
  root: string;
  cmd(args: string[], env?: NodeJS.ProcessEnv): Cmd;
}

let counter = 0;
/** A container id never used before in this bench run (runtimes refuse to reuse a live id). */
export function uniqueId(peer: string): string {
  return `bench-${peer.replace(/[^A-Za-z0-9_.-]+/g, '-')}-${process.pid}-${++counter}`;
}

export function hakoBin(repo: string): string {
  return path.join(repo, 'bin', 'hako');
}

/** `bin/hako <args>` for the engine side (`hako run`, `hako pull`, ...). The engine's storage is
 *  kept in `root` via the global --root flag (the podman convention) so the bench leaves nothing in
 *  the host's default store. Adjust here if the engine's CLI settles on another spelling. */
export function hakoEngineCmd(repo: string, root: string, args: string[], env?: NodeJS.ProcessEnv): Cmd {
  return { file: hakoBin(repo), args: ['--root', root, ...args], ...(env ? { env } : {}) };
}

export function runtimeClis(repo: string, tmp: string): RuntimeCli[] {
  const clis: RuntimeCli[] = [];
  const hakoRoot = path.join(tmp, 'state-hako');
  const bin = hakoBin(repo);
  clis.push({
    name: 'hako',
    hako: true,
    root: hakoRoot,
    ...(fs.existsSync(bin) ? {} : { unavailable: `not available yet: ${bin} is missing` }),
    // bin/hako as users run it: its launcher line is part of the start-up being measured.
    cmd: (args, env) => ({ file: bin, args: ['runtime', '--root', hakoRoot, ...args], ...(env ? { env } : {}) }),
  });
  for (const name of ['runc', 'crun']) {
    const exe = which(name);
    const root = path.join(tmp, `state-${name}`);
    clis.push({
      name,
      hako: false,
      root,
      ...(exe ? {} : { unavailable: `not installed (scripts/bench-deps.sh installs it)` }),
      cmd: (args, env) => ({ file: exe ?? name, args: ['--root', root, ...args], ...(env ? { env } : {}) }),
    });
  }
  for (const c of clis) fs.mkdirSync(c.root, { recursive: true });
  return clis;
}

/** Runs the bundle once; a runtime that cannot is marked unavailable with the reason (hako's reason
 *  says "not available yet" while its runtime is still being written). */
export function probeRuntimes(clis: RuntimeCli[], bundle: string): void {
  for (const c of clis) {
    if (c.unavailable) continue;
    const out = timed(c.cmd(['run', '--bundle', bundle, uniqueId(c.name)]), 60_000);
    if (!out.ok) c.unavailable = `${c.hako ? 'not available yet' : 'fails its probe'}: ${out.error}`;
  }
}

export function usable(clis: RuntimeCli[]): RuntimeCli[] {
  return clis.filter((c) => !c.unavailable);
}
