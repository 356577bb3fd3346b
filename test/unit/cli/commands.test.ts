// Both command lines' registries: every command loads, its --help lists every flag its parser
// takes, run's flags all have a help line, command files stay small, and the runtime's commands
// do not load the engine (the start-up of `hako runtime state` stays small).
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  commandHelp,
  parseArgsOptions,
  runCommand,
  splitAtArgument,
  type Command,
  type Dispatch,
  type Entry,
  type Flags,
  type Parsed,
} from '../../../src/cli/command.js';
import { RUNTIME_COMMANDS } from '../../../src/cli/runtime/index.js';
import { ENGINE_COMMANDS } from '../../../src/cli/engine/index.js';
import { RUN_FLAG_NAMES_WITH_HELP } from '../../../src/cli/engine/run-flags.js';
import { RUN_FLAGS } from '../../../src/engine/flags.js';
import { useStdioStreams } from '../../../src/util/stdio.js';

// Help goes through process.stdout, where the capture below sees it (src/util/stdio.ts otherwise
// writes fd 1 directly).
useStdioStreams();

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

function flatten<C>(entries: Entry<C>[], prefix = ''): [string, Entry<C>][] {
  return entries.flatMap((e): [string, Entry<C>][] => (e.group ? flatten(e.group, `${prefix}${e.name} `) : [[`${prefix}${e.name}`, e]]));
}

test('every command loads, and its --help names each of its flags with a description', async () => {
  for (const [prog, entries] of [
    ['hako runtime', RUNTIME_COMMANDS],
    ['hako', ENGINE_COMMANDS],
  ] as const) {
    for (const [name, entry] of flatten<unknown>(entries as Entry<unknown>[])) {
      const cmd = (await entry.load!()).default;
      const help = commandHelp(prog, { ...entry, name }, cmd);
      assert.match(help, new RegExp(`^usage: ${prog} ${name}\\b`), name);
      for (const [flag, f] of Object.entries(cmd.flags)) {
        assert.ok(f.help.trim(), `${prog} ${name} --${flag} has no description`);
        const line = help
          .split('\nflags:\n')[1]
          ?.split('\n')
          .find((l) => new RegExp(`^\\s+(-\\w, )?--${flag}\\b`).test(l));
        assert.ok(line?.includes(f.help), `${prog} ${name} --help lacks --${flag}`);
        if (f.short) assert.ok(line?.includes(`-${f.short}, --${flag}`), `${prog} ${name} -${f.short}`);
      }
    }
  }
});

test("every one of run's flags has a help line", () => {
  for (const flag of Object.keys(RUN_FLAGS)) assert.ok(RUN_FLAG_NAMES_WITH_HELP.includes(flag), `run --${flag} has no help line (src/cli/engine/run-flags.ts)`);
});

test('flags end at the first argument that is not a flag value', () => {
  const flags = { env: { type: 'string', short: 'e', help: 'x' }, tty: { type: 'boolean', short: 't', help: 'x' } } as const;
  assert.deepEqual(splitAtArgument(['-e', 'A=1', '-t', 'c1', 'sh', '-c', 'x'], flags), { flags: ['-e', 'A=1', '-t'], rest: ['c1', 'sh', '-c', 'x'] });
  assert.deepEqual(splitAtArgument(['-te', 'A=1', 'c1'], flags), { flags: ['-te', 'A=1'], rest: ['c1'] });
  assert.deepEqual(splitAtArgument(['-t', '--', '-c1'], flags), { flags: ['-t'], rest: ['-c1'] });
});

const MAX_COMMAND_LINES = 120;

test(`no command file of either command line has more than ${MAX_COMMAND_LINES} lines`, () => {
  const long: string[] = [];
  const walk = (dir: string) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(file);
      else if (ent.name.endsWith('.ts')) {
        const lines = fs.readFileSync(file, 'utf8').split('\n').length - 1;
        if (lines > MAX_COMMAND_LINES) long.push(`${path.relative(REPO, file)}: ${lines} lines`);
      }
    }
  };
  walk(path.join(REPO, 'src/cli/runtime'));
  walk(path.join(REPO, 'src/cli/engine'));
  assert.deepEqual(long, [], 'one command a file, thin: parse the flags, call the library, print');
});

/** The modules a source file loads before it runs: its static imports, transitively (type-only
 *  imports and dynamic import() excluded). */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
      visit(path.resolve(path.dirname(file), m[1].replace(/\.js$/, '.ts')));
    }
  };
  visit(path.join(REPO, entry));
  return seen;
}

test('the runtime commands load nothing of the engine, images, storage or networks', () => {
  for (const cmd of ['index', 'state', 'start', 'create', 'run', 'kill', 'delete', 'exec']) {
    const loaded = [...staticClosure(`src/cli/runtime/${cmd}.ts`)].map((f) => path.relative(REPO, f));
    const engine = loaded.filter((f) => /^src\/(engine|image|storage|network)\//.test(f));
    assert.deepEqual(engine, [], `hako runtime ${cmd} loads ${engine.join(', ')}`);
  }
  // The registry itself is light: the commands are loaded on use.
  const index = [...staticClosure('src/cli/engine/index.ts')].map((f) => path.relative(REPO, f));
  assert.ok(!index.includes('src/engine/engine.ts'), 'hako --help loads the engine');
});

test("the engine's read-only commands load neither the runtime nor network set-up", () => {
  // ps, images, inspect and logs read the store: the OCI runtime (plans, seccomp, cgroups), CNI
  // attach, netlink and the bridge driver are imported when a container is started or cleaned up;
  // run's flag table and the spec's defaults (docker's capabilities, seccomp) when one is created.
  const heavy =
    /^src\/(runtime\/(?!root\.ts$)|cgroups\/index\.ts$|network\/(attach|index)\.ts$|network\/netlink\/|network\/driver\/(bridge|firewall)\.ts$|engine\/runtime-(hako|external)\.ts$|engine\/(flags|spec|docker-defaults)\.ts$)/;
  for (const cmd of ['index', 'ps', 'images', 'inspect', 'logs', 'version']) {
    const loaded = [...staticClosure(`src/cli/engine/${cmd}.ts`)].map((f) => path.relative(REPO, f));
    const wrong = loaded.filter((f) => heavy.test(f));
    assert.deepEqual(wrong, [], `hako ${cmd} loads ${wrong.join(', ')}`);
  }
  assert.ok(!staticClosure('src/cli/engine/version.ts').has(path.join(REPO, 'src/engine/engine.ts')), 'hako version loads the engine');
});

test("the engine's read-only commands load neither node:net nor node:crypto at start", () => {
  // Bun evaluates each at start-up (~1-2 ms of every command); they are loaded where a socket is
  // opened or a hash made (process.getBuiltinModule, util/sha256.ts, util/random.ts).
  for (const cmd of ['ps', 'images', 'inspect', 'logs']) {
    const eager = [...staticClosure(`src/cli/engine/${cmd}.ts`)].filter((f) =>
      /^import\s+(?!type\b)[^;]*?from\s+'node:(net|crypto)'/m.test(fs.readFileSync(f, 'utf8')),
    );
    assert.deepEqual(
      eager.map((f) => path.relative(REPO, f)),
      [],
      `hako ${cmd} loads node:net or node:crypto at start`,
    );
  }
});

describe('runCommand', () => {
  type Ctx = { root?: string; seen?: Parsed };
  const flags: Flags = { env: { type: 'string', short: 'e', help: 'x' }, tty: { type: 'boolean', short: 't', help: 'y' } };
  const entry = (cmd: Partial<Command<Ctx>>, more: Partial<Entry<Ctx>> = {}): Entry<Ctx> => ({
    name: 'x',
    summary: 'does x',
    ...more,
    load: async () => ({
      default: {
        usage: 'ARG',
        flags,
        ...cmd,
        run: async (ctx, parsed) => {
          ctx.seen = parsed;
          return 7;
        },
      },
    }),
  });
  const parse = (_command: string, args: string[], f: Flags): Parsed => {
    const r = parseArgs({ args, options: parseArgsOptions(f), allowPositionals: true, strict: true });
    return { values: r.values, positionals: r.positionals };
  };
  const d: Dispatch<Ctx> = {
    prog: 'hako',
    parse,
    adopt: (v, ctx) => {
      if (typeof v.root === 'string') ctx.root = v.root;
    },
    extraFlags: { root: { type: 'string', help: 'z' } },
  };

  async function run(e: Entry<Ctx>, args: string[]): Promise<{ code: number; out: string; ctx: Ctx }> {
    const write = process.stdout.write;
    let out = '';
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    const ctx: Ctx = {};
    try {
      return { code: await runCommand(d, e, 'x', args, ctx), out, ctx };
    } finally {
      process.stdout.write = write;
    }
  }

  it('prints the help for --help or -h before the first argument, and after it where flags go on', async () => {
    for (const args of [['--help'], ['-t', '-h'], ['a', '--help']]) {
      const r = await run(entry({}), args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.out, /^usage: hako x ARG\n\ndoes x\n\nflags:\n {2}-e, --env VALUE +x\n/);
      assert.equal(r.ctx.seen, undefined);
    }
  });

  it('leaves --help after the first argument to the program when flags end there', async () => {
    const r = await run(entry({ flagsEndAtArgument: true }), ['-e', 'A', 'c1', 'sh', '-c', '--help']);
    assert.equal(r.code, 7);
    assert.deepEqual(r.ctx.seen?.positionals, ['c1', 'sh', '-c', '--help']);
    assert.equal(r.ctx.seen?.values.env, 'A');
  });

  it('hands raw arguments over untouched, and a noHelp command runs even with --help', async () => {
    const raw = await run(entry({ rawArgs: true }), ['-q', 'img', '--help']);
    assert.deepEqual(raw.ctx.seen?.positionals, ['-q', 'img', '--help']);
    const noHelp = await run(entry({ rawArgs: true }, { noHelp: true }), ['--help']);
    assert.equal(noHelp.code, 7);
    assert.equal(noHelp.out, '');
  });

  it('gives the extra flags to the context (--root after the arguments)', async () => {
    const r = await run(entry({}), ['c1', '--root', '/tmp/r']);
    assert.equal(r.ctx.root, '/tmp/r');
    assert.deepEqual(r.ctx.seen?.positionals, ['c1']);
  });
});

test('`help COMMAND` is COMMAND --help, in both command lines (needs npm run build)', () => {
  const hako = (args: string[]) => spawnSync(path.join(REPO, 'bin/hako'), args, { encoding: 'utf8' });
  const same = [
    [['help'], ['--help']],
    [
      ['help', 'run'],
      ['run', '--help'],
    ],
    [
      ['help', 'network', 'create'],
      ['network', 'create', '--help'],
    ],
    [
      ['help', 'network'],
      ['network', '--help'],
    ],
    [
      ['help', 'runtime'],
      ['runtime', '--help'],
    ],
    [
      ['help', 'runtime', 'exec'],
      ['runtime', 'exec', '--help'],
    ],
    [
      ['runtime', 'help', 'update'],
      ['runtime', 'update', '--help'],
    ],
  ];
  for (const [a, b] of same) {
    const [ra, rb] = [hako(a), hako(b)];
    assert.equal(ra.status, 0, `${a.join(' ')}: ${ra.stderr}`);
    assert.equal(ra.stdout, rb.stdout, a.join(' '));
    assert.match(ra.stdout, /^usage: hako /);
  }
  const unknown = hako(['help', 'frob']);
  assert.equal(unknown.stderr, 'hako: unknown command "frob" (see hako --help)\n');
  assert.equal(hako(['runtime', 'help', 'checkpoint']).status, 0, 'podman reads a zero exit of checkpoint --help as support');
});
