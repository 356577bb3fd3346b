// Fuzzing both command lines with hostile input: random and malformed arguments, ids, names, image
// references, flag values, and config.json files broken one field at a time. Whatever hako is
// given, it answers with at most a few lines on stderr, never a stack trace or a JavaScript error
// name, and a failed create leaves no state, cgroup or mount behind.
// Seeded: HAKO_FUZZ_SEED=<n> replays a run (every failure prints its seed); HAKO_FUZZ_CASES scales
// the number of cases (default sized for well under a minute on a loaded 2-core machine). Root.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedBusyboxRootfs } from '../../fixtures/busybox.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const HAKO = path.join(REPO, 'bin/hako');
const IMAGE = 'hako.local/busybox:latest';
const SEED = Number(process.env.HAKO_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SCALE = Number(process.env.HAKO_FUZZ_CASES ?? 1);
const PARALLEL = 3;
// The live container's id is this run's own: the runtime's default cgroup path is /hako/<id>
// whatever --root is, so two fuzz runs at once with one fixed id would share a cgroup.
const LIVE = `fz-live-${process.pid}`;

// ---- seeded randomness (mulberry32) ----

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  str(max = 20, alphabet = 'abcxyz019_.-+/:@ \t\n"\'$\\%*?[]{}~é'): string {
    let s = '';
    for (let n = this.int(max + 1); n > 0; n--) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

/** Values that have broken programs before: empty, huge, negative, NaN, paths, control characters. */
const HOSTILE = [
  '',
  ' ',
  '-',
  '--',
  '-1',
  '0',
  '1',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '99999999999999999999',
  '0x10',
  '1.5',
  '18446744073709551616',
  '-9223372036854775809',
  '2147483648',
  'a'.repeat(300),
  'x'.repeat(100_000),
  '../x',
  '/',
  '.',
  '..',
  'nonexistent/deeply/nested',
  '/dev/null',
  '/proc',
  'a/b',
  'a\nb',
  'é',
  '%s%n',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile string, not a template
  '${HOME}',
  '{}',
  '[]',
  'null',
  'true',
  '=',
  'K=V',
  ':',
  '::',
  '@',
  'sha256:',
  `sha256:${'a'.repeat(64)}`,
  'localhost:99999/x',
  'localhost:0/x',
  '[::1]:5000/x',
  '[zz]/x',
  'UPPER/case',
  'a..b',
  'busybox:',
  'busybox@',
  '-v',
  '--help',
  '-h',
  '--root',
  '--name',
  '1s',
  '-5s',
  '1h2m',
  'SIGKILL',
  'SIGFOO',
  '64',
  '-9',
  'tcp',
  '80:80',
  '1-65536:1',
  'a:b:c:d',
  'rw',
  'z,Z',
  'type=bind',
  'size=-1',
  'nofile=1:0',
];

// Paths here are relative (cases run in a temp dir) or harmless to write: a case may succeed, and
// --pid-file, --log, save -o write where they are told. --root gets its own list, never `/`.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-fuzz-'));
fs.chmodSync(work, 0o755);
const ROOTS = [
  '',
  '/proc/hako-fuzz',
  'a'.repeat(300),
  'x'.repeat(100_000),
  'relative-root',
  'log-dir-as-file',
  'nonexistent/deeply/nested',
  'a\nb',
  '-v',
  '--help',
];

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// ---- running hako ----

interface Result {
  args: string[];
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function hako(args: string[], opts: { cwd?: string; timeout?: number; input?: string } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const start = Date.now();
    const child = spawn(HAKO, args, {
      cwd: opts.cwd ?? work,
      env: { ...process.env, HAKO_ROOT: undefined, HAKO_DEBUG: undefined },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      if (stdout.length < 1 << 20) stdout += d;
    });
    child.stderr.on('data', (d) => {
      if (stderr.length < 1 << 20) stderr += d;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout ?? 20_000);
    // On exit, not on 'close': a container a case created (create, run -d) inherits the pipes and
    // holds them open until it is deleted. What hako wrote is in by then, or just after.
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      const done = () => resolve({ args, status, signal, stdout, stderr, ms: Date.now() - start });
      const late = setTimeout(done, 200);
      child.on('close', () => {
        clearTimeout(late);
        done();
      });
    });
  });
}

/** Runs `jobs` PARALLEL at a time. */
async function pool<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (i < jobs.length) {
        const k = i++;
        out[k] = await jobs[k]();
      }
    }),
  );
  return out;
}

const show = (args: string[]) => args.map((a) => (a.length > 60 ? `${JSON.stringify(a.slice(0, 40))}…(${a.length})` : JSON.stringify(a))).join(' ');

/** Everything wrong with one answer, as text (empty: fine). HAKO_FUZZ_LOG=FILE also appends every
 *  case and its answer there, to see what the cases reach. */
function problems(r: Result, what = ''): string[] {
  const p: string[] = [];
  const where = `hako ${show(r.args)}${what ? ` [${what}]` : ''}`;
  if (process.env.HAKO_FUZZ_LOG) fs.appendFileSync(process.env.HAKO_FUZZ_LOG, `${where}\n  exit ${r.status}: ${r.stderr.trim().slice(0, 300)}\n`);
  const err = r.stderr;
  if (r.signal) p.push(`${where}: killed by ${r.signal} after ${r.ms} ms (hang?)`);
  // The runtime's --debug may add the stack of a failure hako did not foresee; nothing else may.
  const debug = r.args.includes('--debug');
  if (/^\s+at /m.test(err) && !debug) p.push(`${where}: stack trace on stderr:\n${err.slice(0, 2000)}`);
  if (/internal error|TypeError|RangeError|SyntaxError|ReferenceError|hako: bug:|(^|hako: )Error:/m.test(err))
    p.push(`${where}: JavaScript error on stderr:\n${err.slice(0, 2000)}`);
  const lines = err.trimEnd() === '' ? 0 : err.trimEnd().split('\n').length;
  // A few lines: an error, or "Unable to find image" and an error; commands taking several
  // containers or images (rm, rmi, kill …) say one line for each that failed, as docker does.
  if (lines > Math.max(3, r.args.length) && !debug) p.push(`${where}: ${lines} lines on stderr:\n${err.slice(0, 2000)}`);
  // Each line is hako's (a user's value with a newline in it must not split a message in two).
  const stray = err
    .trimEnd()
    .split('\n')
    .filter((l) => l && !/^(hako: |Unable to find image )/.test(l));
  if (stray.length && !debug) p.push(`${where}: stderr lines that are not hako's messages:\n${err.slice(0, 2000)}`);
  // A failure must say why, but a container's own exit status (run … false) is no failure of hako's.
  if (r.status !== 0 && !r.signal && lines === 0 && !mayStart(r.args) && !/^(-h|--help)$/.test(r.args.find((a) => !a.startsWith('--root')) ?? '')) {
    // A failure must say why (usage on stdout counts for a bare command).
    if (r.stdout.trim() === '') p.push(`${where}: exit ${r.status} with nothing on stderr`);
  }
  return p;
}

// ---- leftovers ----

function mountsUnder(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m?.startsWith(dir));
}

function cgroupsOf(id: string): string[] {
  const roots = ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((d) => path.join('/sys/fs/cgroup', d))];
  return roots.map((r) => path.join(r, 'hako', id)).filter((d) => fs.existsSync(d));
}

// ---- the runtime's command line ----

const RUNTIME_COMMANDS = [
  'create',
  'run',
  'start',
  'state',
  'kill',
  'delete',
  'list',
  'exec',
  'pause',
  'resume',
  'update',
  'ps',
  'events',
  'spec',
  'features',
  'plan',
  'checkpoint',
  'bogus',
  '',
];
const RUNTIME_FLAGS = [
  '--bundle',
  '-b',
  '--pid-file',
  '--console-socket',
  '--detach',
  '-d',
  '--keep',
  '--force',
  '-f',
  '--all',
  '-a',
  '--format',
  '--quiet',
  '-q',
  '--stats',
  '--interval',
  '--tty',
  '-t',
  '--env',
  '-e',
  '--cwd',
  '--user',
  '-u',
  '--cap',
  '--process',
  '-p',
  '--memory',
  '--cpu-quota',
  '--cpu-period',
  '--pids-limit',
  '--cpuset-cpus',
  '--blkio-weight',
  '--memory-swap',
  '--resources',
  '-r',
  '--rootless',
  '--preserve-fds',
  '--additional-gids',
  '--no-pivot',
  '--unknown-flag',
];
/** The flags each runtime command takes: most cases use these, to get past the flag parser. */
const RUNTIME_COMMAND_FLAGS: Record<string, string[]> = {
  create: ['--bundle', '-b', '--pid-file', '--console-socket', '--no-pivot', '--preserve-fds'],
  run: ['--bundle', '-b', '--pid-file', '--console-socket', '--detach', '-d', '--keep', '--preserve-fds'],
  kill: ['--all', '-a'],
  delete: ['--force', '-f'],
  list: ['--format', '-f', '--quiet', '-q'],
  ps: ['--format', '-f'],
  events: ['--stats', '--interval'],
  spec: ['--bundle', '-b', '--rootless'],
  plan: ['--bundle', '-b'],
  exec: [
    '--tty',
    '-t',
    '--env',
    '-e',
    '--cwd',
    '--user',
    '-u',
    '--cap',
    '-c',
    '--process',
    '-p',
    '--detach',
    '-d',
    '--pid-file',
    '--console-socket',
    '--additional-gids',
    '-g',
    '--no-new-privs',
    '--preserve-fds',
  ],
  update: [
    '--memory',
    '--cpu-quota',
    '--cpu-period',
    '--pids-limit',
    '--cpuset-cpus',
    '--cpuset-mems',
    '--blkio-weight',
    '--memory-swap',
    '--memory-reservation',
    '--cpu-share',
    '--cpu-rt-period',
    '--cpu-rt-runtime',
    '--kernel-memory',
    '--resources',
    '-r',
  ],
};
const RUNTIME_GLOBALS = ['--log', '--log-format', '--debug', '--systemd-cgroup', '--rootless', '--criu', '--bogus-global'];

function runtimeArgs(g: Gen, root: string, bundles: string[]): string[] {
  const args = ['runtime'];
  if (g.chance(0.9)) args.push('--root', g.chance(0.9) ? root : g.pick(ROOTS));
  while (g.chance(0.2)) {
    const f = g.pick(RUNTIME_GLOBALS);
    args.push(f);
    if (f !== '--debug' && g.chance(0.8)) args.push(g.chance(0.5) ? path.join(work, 'log-dir-as-file') : g.pick(HOSTILE));
  }
  const command = g.pick(RUNTIME_COMMANDS);
  args.push(command);
  const own = RUNTIME_COMMAND_FLAGS[command] ?? [];
  for (let n = g.int(5); n > 0; n--) {
    const r = g.next();
    if (r < 0.45) {
      const f = own.length && g.chance(0.85) ? g.pick(own) : g.pick(RUNTIME_FLAGS);
      args.push(g.chance(0.2) ? `${f}=${g.pick(HOSTILE)}` : f);
      if (g.chance(0.7)) args.push(f === '--bundle' || f === '-b' ? g.pick([...bundles, ...HOSTILE.slice(0, 20)]) : g.pick(HOSTILE));
    } else if (r < 0.75) args.push(g.pick(HOSTILE));
    else if (r < 0.9) args.push(g.str());
    else args.push(g.chance(0.5) ? LIVE : `fz-${g.int(1000)}`);
  }
  // events without --stats follows the container until it exits: a hang by design.
  if (command === 'events') args.push('--stats');
  return args;
}

// ---- the engine's command line ----

const ENGINE_COMMANDS = [
  'run',
  'create',
  'start',
  'ps',
  'exec',
  'logs',
  'stop',
  'kill',
  'rm',
  'inspect',
  'wait',
  'top',
  'stats',
  'images',
  'rmi',
  'load',
  'save',
  'import',
  'network',
  'container-exited',
  'build',
  'bogus',
  '',
];
const RUN_FLAGS = [
  '--name',
  '-e',
  '--env',
  '--env-file',
  '-v',
  '--volume',
  '--mount',
  '--tmpfs',
  '-p',
  '--publish',
  '-m',
  '--memory',
  '--memory-swap',
  '--cpus',
  '--cpu-shares',
  '--pids-limit',
  '--ulimit',
  '--restart',
  '--user',
  '-u',
  '--workdir',
  '-w',
  '--entrypoint',
  '--network',
  '--hostname',
  '-h',
  '--cap-add',
  '--cap-drop',
  '--device',
  '--sysctl',
  '--label',
  '-l',
  '--stop-signal',
  '--stop-timeout',
  '--security-opt',
  '--shm-size',
  '--dns',
  '--add-host',
  '--ip',
  '--userns',
  '--log-driver',
  '--health-cmd',
  '--platform',
  '--init',
  '--read-only',
  '--privileged',
  '-d',
  '--rm',
  '-i',
  '-t',
  '--no-such-flag',
];
const OTHER_FLAGS = [
  '-a',
  '-q',
  '--format',
  '-f',
  '--force',
  '-t',
  '--time',
  '-s',
  '--signal',
  '--tail',
  '--since',
  '-n',
  '-i',
  '--input',
  '-o',
  '--output',
  '-v',
  '--no-stream',
  '--driver',
  '--subnet',
  '--gateway',
  '--type',
];

const ENGINE_COMMAND_FLAGS: Record<string, string[]> = {
  ps: ['-a', '-q', '--format', '--no-trunc', '-l', '-n', '-f', '--filter'],
  logs: ['-f', '--follow', '--tail', '-t', '--since', '--until'],
  stop: ['-t', '--time', '-s', '--signal'],
  kill: ['-s', '--signal'],
  rm: ['-f', '-v', '--force'],
  inspect: ['--format', '-f', '--type', '-s'],
  images: ['-q', '-a', '--format', '--no-trunc'],
  load: ['-i', '--input', '-q'],
  save: ['-o', '--output'],
  rmi: ['-f', '--force'],
  start: ['-a', '-i'],
  exec: ['-i', '-t', '-d', '-e', '-u', '-w', '--env', '--user', '--workdir', '--privileged'],
  top: [],
  wait: [],
  stats: ['--no-stream', '--format', '-a'],
  build: ['-t', '--tag', '-f', '--file', '--build-arg', '--target', '--no-cache', '-q', '--network'],
  import: ['-c', '--change', '-m'],
  network: ['--subnet', '--gateway', '--driver', '-d', '-o', '-q', '--format', '-f'],
};

function engineArgs(g: Gen, root: string, refs: { containers: string[] }): string[] {
  const args: string[] = [];
  if (g.chance(0.95)) args.push('--root', root);
  else args.push('--root', g.pick(ROOTS));
  const command = g.pick(ENGINE_COMMANDS);
  args.push(command);
  if (command === 'network') args.push(g.pick(['create', 'ls', 'inspect', 'rm', 'bogus', '']));
  const creating = command === 'run' || command === 'create';
  // No bridge or CNI for the containers that do start (a random --network may still come later).
  if (creating) args.push('--network', 'none');
  for (let n = g.int(5); n > 0; n--) {
    const own = ENGINE_COMMAND_FLAGS[command] ?? [];
    const f = creating ? g.pick(RUN_FLAGS) : own.length && g.chance(0.85) ? g.pick(own) : g.pick(OTHER_FLAGS);
    args.push(g.chance(0.15) ? `${f}=${g.pick(HOSTILE)}` : f);
    if (g.chance(0.8)) args.push(g.chance(0.8) ? g.pick(HOSTILE) : g.str());
  }
  if (creating) {
    args.push(
      g.chance(0.5) ? IMAGE : g.pick([...HOSTILE, g.str(30, 'abc:/@.-_019'), 'hako.local/busybox:nope', `hako.local/busybox@sha256:${'0'.repeat(64)}`]),
    );
    args.push(...g.pick([['true'], [], ['false'], ['/nonexistent'], [g.pick(HOSTILE)]]));
  } else {
    // wait and logs -f follow a running container until it exits, stats until interrupted: hangs by
    // design, so those get the created container only, and stats --no-stream.
    const follows = command === 'wait' || command === 'logs';
    const targets = follows ? refs.containers.filter((c) => c === 'fz-created') : refs.containers;
    for (let n = g.int(3); n > 0; n--) args.push(g.chance(0.4) ? g.pick(targets) : g.pick(HOSTILE));
    if (command === 'stats') args.push('--no-stream');
  }
  return args;
}

/** `run`/`create` with IMAGE and `true` plus nothing else hostile: may succeed. */
const mayStart = (args: string[]) => args.includes('run') || args.includes('create');

// ---- config.json, one field at a time ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into the document: [] is the root, ['process', 'args', 0] a leaf. */
function paths(doc: Json, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (doc && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) out.push(...paths(v, [...at, k]));
  return out;
}

const REPLACEMENTS: (Json | undefined)[] = [
  null,
  0,
  -1,
  1.5,
  2 ** 53 + 2,
  1e308,
  -1e308,
  '',
  'str',
  'x'.repeat(100_000),
  [],
  [null],
  {},
  { a: 1 },
  true,
  undefined /* delete */,
  '/nonexistent',
  'relative/missing',
  4294967296,
  -2147483649,
];

function mutate(doc: Json, at: (string | number)[], value: Json | undefined): Json {
  if (at.length === 0) return value === undefined ? null : value;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let parent = copy as Record<string | number, Json>;
  for (const k of at.slice(0, -1)) parent = parent[k] as Record<string | number, Json>;
  const last = at[at.length - 1];
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = value;
  return copy as Json;
}

// ---- the tests ----

let failures: string[] = [];
const note = (p: string[]) => {
  failures.push(...p);
};

describe(`fuzzing the command lines (HAKO_FUZZ_SEED=${SEED})`, () => {
  const runtimeRoot = path.join(work, 'runtime-root');
  const engineRoot = path.join(work, 'engine-root');
  let base: Json;
  let rootfs: string;

  before(() => {
    process.stderr.write(`# fuzz seed ${SEED} (HAKO_FUZZ_SEED=${SEED} replays it)\n`);
    fs.mkdirSync(runtimeRoot);
    fs.writeFileSync(path.join(work, 'log-dir-as-file'), '');
    rootfs = sharedBusyboxRootfs();
    const r = spawnSync(HAKO, ['runtime', 'spec', '--bundle', work], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    base = JSON.parse(fs.readFileSync(path.join(work, 'config.json'), 'utf8'));
    fs.rmSync(path.join(work, 'config.json'));
    const spec = base as { root: { path: string; readonly: boolean }; process: { args: string[]; terminal: boolean } };
    spec.root.path = rootfs;
    spec.process.args = ['true'];
    spec.process.terminal = false;
    const img = spawnSync(process.execPath, [path.join(REPO, 'scripts/builtin-image.mjs'), '--root', engineRoot], { encoding: 'utf8' });
    assert.equal(img.status, 0, img.stderr);
  });

  after(async () => {
    // Engine containers a fuzz case started (run -d …): removed, then nothing of them may stay.
    // A case may also have started one under a store of ROOTS (relative ones land in `work`).
    const stores = [engineRoot, ...ROOTS.map((r) => path.resolve(work, r)).filter((r) => r.startsWith(`${work}/`) && isDirectory(r))];
    for (const store of stores) {
      const ids = spawnSync(HAKO, ['--root', store, 'ps', '-a', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      if (ids.length) spawnSync(HAKO, ['--root', store, 'rm', '-f', ...ids], { encoding: 'utf8' });
    }
    const nets = spawnSync(HAKO, ['--root', engineRoot, 'network', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }).stdout.split('\n');
    for (const n of nets.filter((x) => x && x !== 'bridge' && x !== 'host' && x !== 'none' && x !== 'hako')) {
      spawnSync(HAKO, ['--root', engineRoot, 'network', 'rm', n]);
    }
    for (const id of fs.existsSync(runtimeRoot) ? fs.readdirSync(runtimeRoot) : []) {
      spawnSync(HAKO, ['runtime', '--root', runtimeRoot, 'delete', '--force', id]);
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    failures = [];
  });

  it('config.json broken one field at a time: one line or a run, nothing left behind', async () => {
    const g = new Gen(SEED);
    // A field is picked by its shape (indices as *) first: the 40 capabilities must not crowd out
    // the rest.
    const byShape = new Map<string, (string | number)[][]>();
    for (const at of paths(base)) {
      const shape = at.map((k) => (typeof k === 'number' ? '*' : k)).join('.');
      byShape.set(shape, [...(byShape.get(shape) ?? []), at]);
    }
    const shapes = [...byShape.values()];
    const count = Math.round(45 * SCALE);
    const bundles: { dir: string; what: string; id: string }[] = [];
    const write = (what: string, text: string | null) => {
      const dir = fs.mkdtempSync(path.join(work, 'bundle-'));
      if (text === null) fs.mkdirSync(path.join(dir, 'config.json'));
      else fs.writeFileSync(path.join(dir, 'config.json'), text);
      bundles.push({ dir, what, id: `fz-${bundles.length}` });
    };
    const valid = JSON.stringify(base);
    // Whole-file cases first: empty, truncated, not an object, a directory.
    write('empty file', '');
    write('config.json is a directory', null);
    for (const doc of ['null', '[]', '"x"', '0', '{}', '{"ociVersion":"1.0.0"}']) write(`document ${doc}`, doc);
    for (let i = 0; i < 4; i++) {
      const cut = 1 + g.int(valid.length - 2);
      write(`truncated at ${cut}`, valid.slice(0, cut));
    }
    write('process.args empty', JSON.stringify(mutate(base, ['process', 'args'], [])));
    write('process.args [""]', JSON.stringify(mutate(base, ['process', 'args'], [''])));
    for (let i = 0; i < count; i++) {
      const at = g.pick(g.pick(shapes));
      const value = g.pick(REPLACEMENTS);
      write(`${at.join('.') || '(root)'} = ${value === undefined ? '(deleted)' : JSON.stringify(value).slice(0, 30)}`, JSON.stringify(mutate(base, at, value)));
    }
    await pool(
      bundles.map((b) => async () => {
        const r = await hako(['runtime', '--root', runtimeRoot, 'run', '--bundle', b.dir, b.id], { cwd: b.dir });
        const p = problems(r, b.what);
        if (r.status !== 0) {
          if (fs.existsSync(path.join(runtimeRoot, b.id))) p.push(`[${b.what}]: failed (${r.stderr.trim()}) but left ${runtimeRoot}/${b.id}`);
          if (cgroupsOf(b.id).length) p.push(`[${b.what}]: failed (${r.stderr.trim()}) but left cgroups ${cgroupsOf(b.id).join(' ')}`);
        }
        if (mountsUnder(b.dir).length || mountsUnder(rootfs).length)
          p.push(`[${b.what}]: left mounts ${[...mountsUnder(b.dir), ...mountsUnder(rootfs)].join(' ')}`);
        note(p);
      }),
    );
    assert.deepEqual(failures, [], `HAKO_FUZZ_SEED=${SEED}:\n${failures.join('\n\n')}`);
  });

  it('hako runtime with random and hostile arguments', async () => {
    const g = new Gen(SEED + 1);
    const bundle = path.join(work, 'bundle-valid');
    fs.mkdirSync(bundle);
    fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(base));
    const bundles = [bundle, work, path.join(work, 'log-dir-as-file')];
    // A live container, so that kill, update, ps, exec, pause … reach their real work.
    const liveBundle = path.join(work, 'bundle-live');
    fs.mkdirSync(liveBundle);
    fs.writeFileSync(path.join(liveBundle, 'config.json'), JSON.stringify(mutate(base, ['process', 'args'], ['sleep', '1000'])));
    const live = spawnSync(HAKO, ['runtime', '--root', runtimeRoot, 'create', '--bundle', liveBundle, LIVE], { stdio: 'ignore' });
    assert.equal(live.status, 0, `runtime create ${LIVE}`);
    const cases = Array.from({ length: Math.round(50 * SCALE) }, () => runtimeArgs(g, runtimeRoot, bundles));
    // Every update flag once on the live container, and signals, with hostile values.
    for (const f of RUNTIME_COMMAND_FLAGS.update) cases.push(['runtime', '--root', runtimeRoot, 'update', f, g.pick(HOSTILE), LIVE]);
    for (let i = 0; i < 6; i++)
      cases.push(['runtime', '--root', runtimeRoot, 'kill', LIVE, g.pick([...HOSTILE, 'SIGSTOP', 'SIGCONT', '0', 'SIGRTMAX', 'RTMIN+3', 'SIGRTMAX+1'])]);
    for (let i = 0; i < 6; i++)
      cases.push([
        'runtime',
        '--root',
        runtimeRoot,
        'exec',
        ...g.pick([
          [],
          ['--cwd', g.pick(HOSTILE)],
          ['--user', g.pick(HOSTILE)],
          ['--env', g.pick(HOSTILE)],
          ['--cap', g.pick(HOSTILE)],
          ['--additional-gids', g.pick(HOSTILE)],
        ]),
        LIVE,
        g.pick(['true', ...HOSTILE]),
      ]);
    const before = new Set(fs.readdirSync(runtimeRoot));
    const results = await pool(cases.map((args) => () => hako(args, { timeout: 15_000 })));
    for (const r of results) note(problems(r));
    // Containers that a case created (create/run -d of the valid bundle) are legitimate; the rest
    // of the root must be as it was.
    for (const id of fs.readdirSync(runtimeRoot)) {
      if (before.has(id)) continue;
      const state = spawnSync(HAKO, ['runtime', '--root', runtimeRoot, 'state', id], { encoding: 'utf8' });
      if (state.status !== 0) failures.push(`runtime root holds "${id}" that is no container: ${state.stderr.trim()}`);
      spawnSync(HAKO, ['runtime', '--root', runtimeRoot, 'delete', '--force', id]);
    }
    assert.deepEqual(failures, [], `HAKO_FUZZ_SEED=${SEED}:\n${failures.join('\n\n')}`);
  });

  it('hako load of a hostile image (index, manifest, config broken one field at a time), then create', async () => {
    const g = new Gen(SEED + 3);
    const layout = path.join(work, 'layout');
    const saved = await hako(['--root', engineRoot, 'save', '--format', 'oci-dir', '-o', layout, IMAGE]);
    assert.equal(saved.status, 0, saved.stderr);
    const blob = (d: string) => path.join('blobs', 'sha256', d.replace(/^sha256:/, ''));
    const read = (dir: string, rel: string) => JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8')) as Json;
    const index = read(layout, 'index.json') as { manifests: { digest: string }[] };
    const manifest = read(layout, blob(index.manifests[0].digest)) as { config: { digest: string } };
    // The config with every field the engine reads, so that each can be broken.
    const config = read(layout, blob(manifest.config.digest)) as { config: Record<string, Json> };
    Object.assign(config.config, {
      User: 'root',
      WorkingDir: '/',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['true'],
      ExposedPorts: { '80/tcp': {} },
      Volumes: { '/data': {} },
      Labels: { a: 'b' },
      StopSignal: 'SIGTERM',
      Healthcheck: { Test: ['NONE'] },
      Shell: ['/bin/sh', '-c'],
      Env: ['PATH=/bin', 'A=1'],
    });
    /** A copy of the layout with `doc` (one of its three JSON documents) replaced; the digests and
     *  sizes that point at a changed blob are updated, so it is the content that gets checked. */
    const layoutWith = (dir: string, which: 'index' | 'manifest' | 'config', text: string) => {
      fs.cpSync(layout, dir, { recursive: true });
      const put = (body: string) => {
        const digest = `sha256:${crypto.createHash('sha256').update(body).digest('hex')}`;
        fs.writeFileSync(path.join(dir, blob(digest)), body);
        return { digest, size: Buffer.byteLength(body) };
      };
      let idx = JSON.stringify(index);
      if (which === 'index') idx = text;
      else {
        const m = structuredClone(manifest) as { config: { digest: string; size: number } };
        let mtext = JSON.stringify(m);
        if (which === 'config') {
          Object.assign(m.config, put(text));
          mtext = JSON.stringify(m);
        } else mtext = text;
        const i = structuredClone(index) as { manifests: { digest: string; size: number }[] };
        Object.assign(i.manifests[0], put(mtext));
        idx = JSON.stringify(i);
      }
      fs.writeFileSync(path.join(dir, 'index.json'), idx);
    };
    const docs = { index: index as Json, manifest: manifest as Json, config: config as Json };
    const shapes = (doc: Json) => {
      const m = new Map<string, (string | number)[][]>();
      for (const at of paths(doc)) {
        const k = at.map((x) => (typeof x === 'number' ? '*' : x)).join('.');
        m.set(k, [...(m.get(k) ?? []), at]);
      }
      return [...m.values()];
    };
    const cases: { what: string; dir: string; root: string }[] = [];
    for (let i = 0; i < Math.round(24 * SCALE); i++) {
      const which = g.pick(['index', 'manifest', 'config', 'config', 'config'] as const);
      const at = g.pick(g.pick(shapes(docs[which])));
      const value = g.pick(REPLACEMENTS);
      const dir = path.join(work, `layout-${i}`);
      const what = `${which}: ${at.join('.') || '(root)'} = ${value === undefined ? '(deleted)' : JSON.stringify(value).slice(0, 30)}`;
      layoutWith(dir, which, g.chance(0.1) ? JSON.stringify(docs[which]).slice(0, 1 + g.int(200)) : JSON.stringify(mutate(docs[which], at, value)));
      cases.push({ what, dir, root: path.join(work, `load-root-${i}`) });
    }
    await pool(
      cases.map((c) => async () => {
        const load = await hako(['--root', c.root, 'load', '-i', c.dir]);
        const p = problems(load, c.what);
        const tmp = path.join(c.root, 'tmp');
        if (fs.existsSync(tmp) && fs.readdirSync(tmp).length) p.push(`[${c.what}]: load left ${fs.readdirSync(tmp).join(' ')} in ${tmp}`);
        const loaded = /^Loaded image: (\S+)$/m.exec(load.stdout)?.[1];
        if (load.status === 0 && loaded) {
          // The image is in: what the engine makes of its config must fail cleanly too.
          const create = await hako(['--root', c.root, 'create', '--network', 'none', loaded]);
          p.push(...problems(create, c.what));
          const ids = spawnSync(HAKO, ['--root', c.root, 'ps', '-a', '-q'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
          if (create.status !== 0 && ids.length) p.push(`[${c.what}]: create failed (${create.stderr.trim()}) but left containers ${ids.join(' ')}`);
          if (ids.length) spawnSync(HAKO, ['--root', c.root, 'rm', '-f', ...ids]);
          if (mountsUnder(c.root).length) p.push(`[${c.what}]: mounts left under ${c.root}`);
        }
        note(p);
        fs.rmSync(c.dir, { recursive: true, force: true });
        if (!mountsUnder(c.root).length) fs.rmSync(c.root, { recursive: true, force: true });
      }),
    );
    assert.deepEqual(failures, [], `HAKO_FUZZ_SEED=${SEED}:\n${failures.join('\n\n')}`);
  });

  it('hako (the engine) with random and hostile arguments', async () => {
    const g = new Gen(SEED + 2);
    // A running container and a created one, so that exec, logs, top, stop, kill … reach them. --init:
    // a stop with a huge -t still ends at once.
    const up = spawnSync(HAKO, ['--root', engineRoot, 'run', '-d', '--init', '--network', 'none', '--name', 'fz-running', IMAGE, 'sleep', '1000'], {
      encoding: 'utf8',
    });
    assert.equal(up.status, 0, up.stderr);
    const made = spawnSync(HAKO, ['--root', engineRoot, 'create', '--network', 'none', '--name', 'fz-created', IMAGE, 'true'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const refs = { containers: ['fz-running', 'fz-created', up.stdout.trim().slice(0, 12)] };
    const cases = Array.from({ length: Math.round(35 * SCALE) }, () => engineArgs(g, engineRoot, refs));
    // And every run flag once, alone, with a hostile value: past the parser, into create.
    for (const f of RUN_FLAGS) {
      const value = g.pick(HOSTILE);
      cases.push(['--root', engineRoot, 'create', '--network', 'none', ...(g.chance(0.3) ? [`${f}=${value}`] : [f, value]), IMAGE, 'true']);
    }
    const psBefore = spawnSync(HAKO, ['--root', engineRoot, 'ps', '-a', '-q', '--no-trunc'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    assert.equal(psBefore.length, 2);
    const results = await pool(cases.map((args) => () => hako(args, { timeout: 30_000 })));
    let started = 0;
    for (const r of results) {
      note(problems(r));
      // As docker, a run whose process cannot be started keeps the container it created.
      if (mayStart(r.args) && (r.status === 0 || /^hako: exec: /.test(r.stderr) || r.stderr === '')) started++;
    }
    // Every container listed is one a successful run/create made; a failed one left nothing.
    const psAfter = spawnSync(HAKO, ['--root', engineRoot, 'ps', '-a', '-q', '--no-trunc'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    const madeNow = psAfter.filter((id) => !psBefore.includes(id));
    if (madeNow.length > started) {
      const what = madeNow.map((id) =>
        spawnSync(HAKO, ['--root', engineRoot, 'inspect', '--format', '{{.Name}} {{.Config.Cmd}} {{.State.Status}}', id], { encoding: 'utf8' }).stdout.trim(),
      );
      const failed = results
        .filter((r) => r.status !== 0 && mayStart(r.args) && r.stderr !== '' && !/^hako: exec: /.test(r.stderr))
        .map((r) => `hako ${show(r.args)}: ${r.stderr.trim()}`);
      failures.push(
        `${madeNow.length} new containers (${what.join('; ')}), but only ${started} run/create cases succeeded; the failed ones:\n${failed.join('\n')}`,
      );
    }
    const dirs = fs.existsSync(path.join(engineRoot, 'containers')) ? fs.readdirSync(path.join(engineRoot, 'containers')) : [];
    const orphans = dirs.filter((d) => !psAfter.includes(d));
    if (orphans.length) failures.push(`container directories nobody lists: ${orphans.join(' ')}`);
    if (mountsUnder(engineRoot).length) {
      const live = psAfter.length;
      if (live === 0) failures.push(`mounts left under ${engineRoot}: ${mountsUnder(engineRoot).join(' ')}`);
    }
    assert.deepEqual(failures, [], `HAKO_FUZZ_SEED=${SEED}:\n${failures.join('\n\n')}`);
  });
});
