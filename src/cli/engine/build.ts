// `hako build [OPTIONS] PATH`: docker's build flags over the library's build (src/build). Progress
// goes to stderr as BuildKit's plain output; -q prints only the image ID, on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { quote } from '../../util/errors.js';
import { EngineError } from '../../engine/exit-codes.js';
import { Engine } from '../../engine/engine.js';
import { parseFlags } from '../../engine/flags.js';
import { parseReference } from '../../oci/image/reference.js';

export const BUILD_USAGE = `usage: hako build [OPTIONS] PATH

Build an image from a Dockerfile; PATH is the build context (a directory).

  -t, --tag NAME[:TAG]     name the image (repeatable)
  -f, --file FILE          the Dockerfile (default: PATH/Dockerfile)
      --build-arg K[=V]    a build argument (repeatable; K alone takes V from the environment)
      --target STAGE       build up to this stage
      --no-cache           do not use the build cache
      --network host|none  the network of RUN steps (default host)
  -q, --quiet              print only the image ID
      --progress plain     the only progress output (accepted for docker's scripts)`;

const FLAGS = {
  tag: { type: 'string' as const, short: 't', multiple: true },
  file: { type: 'string' as const, short: 'f' },
  'build-arg': { type: 'string' as const, multiple: true },
  target: { type: 'string' as const },
  'no-cache': { type: 'boolean' as const },
  network: { type: 'string' as const },
  quiet: { type: 'boolean' as const, short: 'q' },
  progress: { type: 'string' as const },
  help: { type: 'boolean' as const, short: 'h' },
  root: { type: 'string' as const },
};

export async function buildCommand(args: string[], root: string | undefined): Promise<number> {
  const { values: v, positionals } = parseFlags('build', args, FLAGS);
  if (v.help) { process.stdout.write(`${BUILD_USAGE}\n`); return 0; }
  if (positionals.length !== 1) throw new EngineError('"hako build" requires exactly 1 argument: PATH (the build context)');
  const network = (v.network as string | undefined) ?? 'host';
  if (network !== 'host' && network !== 'none' && network !== 'default') throw new EngineError(`build: --network ${quote(network)}: only host and none are supported`);
  if (v.progress !== undefined && !['plain', 'auto', 'tty'].includes(v.progress as string)) throw new EngineError(`build: --progress ${quote(v.progress as string)}: expected plain`);
  const tags = (v.tag as string[] | undefined) ?? [];
  for (const t of tags) {
    try { parseReference(t); } catch (e) { throw new EngineError(`build: invalid tag ${quote(t)}: ${(e as Error).message}`); }
  }
  const { build } = await import('../../build/index.js');
  const quiet = Boolean(v.quiet);
  const result = await build(new Engine({ root: (v.root as string | undefined) ?? root }), {
    contextDir: contextDir(positionals[0]!), dockerfile: v.file ? path.resolve(v.file as string) : undefined,
    tags, buildArgs: buildArgs((v['build-arg'] as string[] | undefined) ?? []), target: v.target as string | undefined,
    noCache: Boolean(v['no-cache']), network: network === 'none' ? 'none' : 'host',
    onProgress: quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  if (quiet) process.stdout.write(`${result.id}\n`);
  return 0;
}

/** The context: a directory the user named (a trusted path; what is inside it is not). */
function contextDir(p: string): string {
  if (p === '-' || /^[a-z]+:\/\//i.test(p)) throw new EngineError(`build: context ${quote(p)}: only a local directory is supported`);
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    throw new EngineError(`build: context ${quote(p)}: no such directory`);
  }
  if (!fs.statSync(real).isDirectory()) throw new EngineError(`build: context ${quote(p)}: not a directory`);
  return real;
}

function buildArgs(list: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of list) {
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new EngineError(`build: --build-arg ${quote(a)}: expected NAME=VALUE`);
    const value = eq < 0 ? process.env[name] : a.slice(eq + 1);
    if (value !== undefined) out.set(name, value);
  }
  return out;
}

