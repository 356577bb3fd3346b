// From an image's config (the OCI image config's `config` object) and a base runtime spec to the
// container's runtime spec, following the OCI image spec's "Conversion to OCI Runtime
// Configuration" and docker's rules where the spec leaves room:
// - Entrypoint + Cmd: args = Entrypoint ++ Cmd. An overriding cmd replaces Cmd only; an overriding
//   entrypoint replaces Entrypoint AND drops the image's Cmd (docker run --entrypoint does that).
//   `entrypoint: ['']` (docker's --entrypoint "") means "no entrypoint".
// - Env: base, then image, then overrides; a later KEY=... replaces an earlier KEY in place. An
//   override "KEY" without "=" takes KEY from our environment, or removes it when unset (docker -e).
// - WorkingDir: override, else image, else "/"; must be absolute.
// - User: "", "uid", "uid:gid", "name", "name:group" (any mix); names are looked up in the
//   rootfs's /etc/passwd and /etc/group (read with symlinks resolved INSIDE the rootfs). Without a
//   group the user's passwd gid is used (0 if the uid has no entry); supplementary groups are the
//   /etc/group entries that list the user by name.
// - Labels -> annotations; ExposedPorts -> org.opencontainers.image.exposedPorts; StopSignal ->
//   org.opencontainers.image.stopSignal; Volumes -> io.hako.image.volumes (comma-separated).

import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import type { Spec } from '../runtime/spec/types.js';
import { HakoError } from '../util/errors.js';

/** The `config` object of an OCI/Docker image configuration. */
export interface ImageConfig {
  User?: string;
  ExposedPorts?: Record<string, unknown> | null;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, unknown> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
}

export interface SpecOverrides {
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  workdir?: string;
  user?: string;
}

/** Reads a file of the rootfs, resolving symlinks as if rootfs were "/"; null when missing. */
export function readFileInRoot(rootfs: string, path: string): string | null {
  let hops = 0;
  const walk = (parts: string[]): string | null => {
    const done: string[] = [];
    const todo = [...parts];
    while (todo.length) {
      const c = todo.shift()!;
      if (c === '' || c === '.') continue;
      if (c === '..') { done.pop(); continue; } // ".." at the root stays at the root
      const host = posix.join(rootfs, ...done, c);
      let st;
      try { st = lstatSync(host); } catch { return null; }
      if (st.isSymbolicLink()) {
        if (++hops > 40) throw new HakoError(`${path} in ${rootfs}: too many levels of symbolic links`);
        const target = readlinkSync(host);
        if (target.startsWith('/')) done.length = 0;
        todo.unshift(...target.split('/'));
        continue;
      }
      done.push(c);
    }
    return posix.join(rootfs, ...done);
  };
  const resolved = walk(path.split('/'));
  if (resolved === null) return null;
  try {
    if (!lstatSync(resolved).isFile()) return null;
    return readFileSync(resolved, 'utf8');
  } catch { return null; }
}

interface PasswdEntry { name: string; uid: number; gid: number }
interface GroupEntry { name: string; gid: number; members: string[] }

function parsePasswd(text: string | null): PasswdEntry[] {
  if (!text) return [];
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }));
}

function parseGroup(text: string | null): GroupEntry[] {
  if (!text) return [];
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

const MAX_ID = 0xfffffffe;
function numericId(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n > MAX_ID) throw new HakoError(`user "${s}": id out of range`);
  return n;
}

/** Resolves a docker-style user string to uid/gid/supplementary groups. */
export function resolveUser(user: string, rootfs: string | undefined): { uid: number; gid: number; additionalGids?: number[]; username?: string } {
  if (user === '') return { uid: 0, gid: 0 };
  const [u, g, ...rest] = user.split(':');
  if (rest.length || u === '' || g === '') throw new HakoError(`user ${JSON.stringify(user)}: expected user, uid, user:group or uid:gid`);
  const needFiles = numericId(u) === undefined || (g !== undefined && numericId(g) === undefined);
  const load = (file: string) => {
    if (!rootfs) {
      if (needFiles) throw new HakoError(`user ${JSON.stringify(user)}: names need the rootfs to read ${file}`);
      return null;
    }
    return readFileInRoot(rootfs, file);
  };
  const passwd = parsePasswd(load('/etc/passwd'));
  const groups = parseGroup(load('/etc/group'));

  let uid = numericId(u);
  let entry: PasswdEntry | undefined;
  if (uid === undefined) {
    entry = passwd.find((p) => p.name === u);
    if (!entry) throw new HakoError(`user ${JSON.stringify(user)}: no user ${JSON.stringify(u)} in the image's /etc/passwd`);
    uid = entry.uid;
  } else {
    entry = passwd.find((p) => p.uid === uid);
  }
  let gid: number;
  if (g === undefined) {
    gid = entry ? entry.gid : 0;
  } else {
    const n = numericId(g);
    if (n !== undefined) gid = n;
    else {
      const ge = groups.find((x) => x.name === g);
      if (!ge) throw new HakoError(`user ${JSON.stringify(user)}: no group ${JSON.stringify(g)} in the image's /etc/group`);
      gid = ge.gid;
    }
  }
  const out: { uid: number; gid: number; additionalGids?: number[]; username?: string } = { uid, gid };
  if (entry) {
    const extra = groups.filter((x) => x.members.includes(entry!.name) && x.gid !== gid).map((x) => x.gid);
    if (extra.length) out.additionalGids = [...new Set(extra)];
  }
  return out;
}

function envKey(e: string): string { const i = e.indexOf('='); return i === -1 ? e : e.slice(0, i); }

/** Merges env lists: later lists override earlier keys in place. */
export function mergeEnv(...lists: Array<string[] | null | undefined>): string[] {
  const map = new Map<string, string | null>();
  lists.forEach((list, idx) => {
    for (const e of list ?? []) {
      const k = envKey(e);
      if (k === '') throw new HakoError(`env ${JSON.stringify(e)}: empty variable name`);
      if (!e.includes('=')) {
        // only overrides (the last list) may borrow from our environment, like docker -e NAME
        const v = idx === lists.length - 1 ? process.env[k] : undefined;
        map.set(k, v === undefined ? null : `${k}=${v}`);
      } else {
        map.set(k, e);
      }
    }
  });
  return [...map.values()].filter((v): v is string => v !== null);
}

export function imageConfigToSpec(imageConfig: ImageConfig | { config?: ImageConfig }, base: Spec, overrides: SpecOverrides = {}, rootfs?: string): Spec {
  const cfg: ImageConfig = ('config' in imageConfig && imageConfig.config && typeof imageConfig.config === 'object')
    ? (imageConfig as { config: ImageConfig }).config : (imageConfig as ImageConfig);
  const spec: Spec = structuredClone(base);
  const proc = spec.process ?? { user: { uid: 0, gid: 0 }, cwd: '/' };

  let entrypoint: string[];
  let cmd: string[];
  if (overrides.entrypoint !== undefined) {
    entrypoint = overrides.entrypoint.length === 1 && overrides.entrypoint[0] === '' ? [] : overrides.entrypoint;
    cmd = overrides.cmd ?? [];
  } else {
    entrypoint = cfg.Entrypoint ?? [];
    cmd = overrides.cmd ?? cfg.Cmd ?? [];
  }
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new HakoError('image config: no command (neither Entrypoint nor Cmd is set, and none was given)');
  proc.args = args;

  proc.env = mergeEnv(proc.env, cfg.Env, overrides.env);

  const cwd = overrides.workdir ?? (cfg.WorkingDir || '/');
  if (!cwd.startsWith('/')) {
    throw new HakoError(`${overrides.workdir !== undefined ? 'workdir' : 'image config: WorkingDir'} ${JSON.stringify(cwd)}: must be an absolute path`);
  }
  proc.cwd = cwd;

  const root = rootfs ?? (spec.root?.path?.startsWith('/') ? spec.root.path : undefined);
  const u = resolveUser(overrides.user ?? cfg.User ?? '', root);
  proc.user = { ...proc.user, uid: u.uid, gid: u.gid };
  if (u.additionalGids) proc.user.additionalGids = u.additionalGids; else delete proc.user.additionalGids;
  spec.process = proc;

  const ann: Record<string, string> = { ...(spec.annotations ?? {}) };
  for (const [k, v] of Object.entries(cfg.Labels ?? {})) if (!(k in ann)) ann[k] = String(v);
  const ports = Object.keys(cfg.ExposedPorts ?? {});
  if (ports.length) ann['org.opencontainers.image.exposedPorts'] = ports.join(',');
  if (cfg.StopSignal) ann['org.opencontainers.image.stopSignal'] = cfg.StopSignal;
  const vols = Object.keys(cfg.Volumes ?? {});
  if (vols.length) ann['io.hako.image.volumes'] = vols.join(',');
  if (Object.keys(ann).length) spec.annotations = ann;
  return spec;
}
