// An ordinary user for the rootless tests, made in their set-up as an administrator would: `useradd`
// and a range of 65536 subordinate ids in /etc/subuid and /etc/subgid (useradd's own where it makes
// one, else after every range already there, so no two users share ids). Commands run as the user through setpriv with a clean
// environment (HOME, USER, XDG_RUNTIME_DIR of its own), as after a login. `remove()` checks that the
// user has no process left, then deletes the user, its home and its subordinate-id lines.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
const USERADD = ['/usr/sbin/useradd', '/sbin/useradd'].find((p) => fs.existsSync(p));
const NEWUIDMAP = ['/usr/bin/newuidmap', '/bin/newuidmap'].find((p) => fs.existsSync(p));
const SUBID_FILES = ['/etc/subuid', '/etc/subgid'];
const RANGE = 65536;

/** Why rootless tests cannot run here, or false. */
export function rootlessUserSkip(): string | false {
  if (process.getuid?.() !== 0) return 'the set-up creates a user: needs root';
  if (!SETPRIV) return 'setpriv is missing (Debian package util-linux)';
  if (!USERADD) return 'useradd is missing (Debian package passwd)';
  if (!NEWUIDMAP) return 'newuidmap is missing (Debian package uidmap)';
  return false;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  timeout?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** The command leaves a process behind that inherits its stdio (`runtime create`, `run -d`):
   *  output goes through files, not pipes that would stay open. */
  leavesRunning?: boolean;
  /** A cgroup directory (e.g. a delegated subtree's init.scope) the command is moved into first, by
   *  root, as systemd starts a user's processes in its cgroup. */
  cgroup?: string;
  /** argv put before the whole command, run by root (e.g. nsenter into a mount namespace). */
  wrap?: string[];
}

/** argv that moves itself into cgroup `dir`, then runs `argv`. */
function inCgroup(dir: string, argv: string[]): string[] {
  return ['/bin/sh', '-c', 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', 'sh', dir, ...argv];
}

export class RootlessUser {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** The user's XDG_RUNTIME_DIR (0700, its own), as logind would make /run/user/UID. */
  readonly runtimeDir: string;
  /** The first subordinate id (uid and gid ranges are the same). */
  readonly subidFirst: number;

  private constructor(readonly name: string) {
    const pw = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.split(':');
    this.uid = Number(pw[2]);
    this.gid = Number(pw[3]);
    this.home = pw[5];
    this.runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), `hako-xdg-${name}-`));
    fs.chownSync(this.runtimeDir, this.uid, this.gid);
    fs.chmodSync(this.runtimeDir, 0o700);
    // Debian's useradd gives new users a range itself (SUB_UID_MIN in /etc/login.defs); a second
    // one is added only where it did not.
    const given = SUBID_FILES.map((f) => ownRange(f, name));
    if (given[0] !== undefined && given[0] === given[1]) {
      this.subidFirst = given[0];
    } else {
      this.subidFirst = nextSubidStart();
      for (const f of SUBID_FILES) fs.appendFileSync(f, `${name}:${this.subidFirst}:${RANGE}\n`);
    }
  }

  /** Creates a user named `prefix` + a random suffix (at most 32 characters, useradd's limit). */
  static create(prefix: string): RootlessUser {
    const name = `${prefix}${Math.random().toString(36).slice(2, 8)}`.slice(0, 32);
    const r = spawnSync(USERADD!, ['--create-home', '--shell', '/bin/sh', '--user-group', name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`useradd ${name}: ${r.stderr}`);
    return new RootlessUser(name);
  }

  /** hako as the user can run it: the checkout's when the user can read it, else a copy of bin/hako,
   *  dist/hako, native/hako-init and build/ (a CI clone under /root, say). */
  installation(repo: string): { hako: string; build: string } {
    const readable = this.run(['/bin/sh', '-c', 'test -x "$1/dist/hako" && test -r "$1/build/src/index.js"', 'sh', repo]).code === 0;
    if (readable) return { hako: path.join(repo, 'bin', 'hako'), build: path.join(repo, 'build') };
    const copy = path.join(this.home, 'hako-install');
    for (const f of ['bin/hako', 'dist/hako', 'native/hako-init']) {
      fs.mkdirSync(path.join(copy, path.dirname(f)), { recursive: true, mode: 0o755 });
      fs.copyFileSync(path.join(repo, f), path.join(copy, f));
      fs.chmodSync(path.join(copy, f), 0o755);
    }
    fs.cpSync(path.join(repo, 'build'), path.join(copy, 'build'), { recursive: true });
    spawnSync('chmod', ['-R', 'a+rX', copy]);
    return { hako: path.join(copy, 'bin', 'hako'), build: path.join(copy, 'build') };
  }

  /** The environment of a login shell of the user (plus `extra`). */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      HOME: this.home,
      USER: this.name,
      LOGNAME: this.name,
      PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
      XDG_RUNTIME_DIR: this.runtimeDir,
      ...extra,
    };
  }

  /** argv for running `argv` as the user (setpriv with the user's ids and groups, no capabilities). */
  argv(argv: string[]): string[] {
    return [SETPRIV!, '--reuid', String(this.uid), '--regid', String(this.gid), '--init-groups', '--inh-caps=-all', '--', ...argv];
  }

  /** Runs `argv` as the user and waits. */
  run(argv: string[], opts: RunOptions = {}): RunResult {
    const full = [...(opts.wrap ?? []), ...(opts.cgroup ? inCgroup(opts.cgroup, this.argv(argv)) : this.argv(argv))];
    const files = opts.leavesRunning ? [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'hako-out-'))) : [];
    const fds = files.map((d) => fs.openSync(path.join(d, 'out'), 'w+'));
    try {
      const r = spawnSync(full[0], full.slice(1), {
        encoding: 'utf8',
        input: opts.input ?? '',
        timeout: opts.timeout ?? 60_000,
        env: this.env(opts.env),
        cwd: opts.cwd ?? this.home,
        stdio: fds.length ? ['pipe', fds[0], fds[1]] : 'pipe',
      });
      if (r.error) throw r.error;
      const [stdout, stderr] = fds.length ? files.map((d) => fs.readFileSync(path.join(d, 'out'), 'utf8')) : [r.stdout, r.stderr];
      return { code: r.status ?? 128, stdout, stderr };
    } finally {
      for (const fd of fds) fs.closeSync(fd);
      for (const d of files) fs.rmSync(d, { recursive: true, force: true });
    }
  }

  /** Starts `argv` as the user without waiting (stdio ignored unless given). */
  spawn(argv: string[], opts: { env?: Record<string, string> } = {}): ChildProcess {
    const full = this.argv(argv);
    return spawn(full[0], full.slice(1), { env: this.env(opts.env), cwd: this.home, stdio: 'ignore' });
  }

  /** Pids of the user's processes (anything left behind by a test). */
  processes(): { pid: number; cmd: string }[] {
    const out: { pid: number; cmd: string }[] = [];
    for (const p of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        if (fs.statSync(`/proc/${p}`).uid !== this.uid) continue;
        const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // exited, not yet reaped
        out.push({ pid: Number(p), cmd: fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() });
      } catch {
        /* gone */
      }
    }
    return out;
  }

  /** The user's processes still there after up to `ms` (those of a removal finish a moment later). */
  async lingering(ms = 5000): Promise<{ pid: number; cmd: string }[]> {
    const end = Date.now() + ms;
    let left = this.processes();
    while (left.length && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
      left = this.processes();
    }
    return left;
  }

  /** Kills what is left (reported by the caller first), then deletes the user and its ids. */
  remove(): void {
    for (const p of this.processes()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    spawnSync('userdel', ['--remove', this.name], { encoding: 'utf8' });
    for (const f of SUBID_FILES) {
      const kept = fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith(`${this.name}:`));
      fs.writeFileSync(f, kept.map((l) => `${l}\n`).join(''));
    }
    fs.rmSync(this.runtimeDir, { recursive: true, force: true });
  }
}

/** The first id of `name`'s range in a subordinate-id file, if it has one. */
function ownRange(file: string, name: string): number | undefined {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const line = text.split('\n').find((l) => l.startsWith(`${name}:`));
  return line ? Number(line.split(':')[1]) : undefined;
}

/** The first id after every range in /etc/subuid and /etc/subgid (at least 100000, useradd's start). */
function nextSubidStart(): number {
  let next = 100000;
  for (const f of SUBID_FILES) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const [, first, count] = line.split(':');
      if (first && count) next = Math.max(next, Number(first) + Number(count));
    }
  }
  return next;
}
