// `hako build [OPTIONS] PATH`: docker's build flags over the library's build (src/build). Progress
// goes to stderr as BuildKit's plain output; -q prints only the image ID, on stdout.
import fs from 'node:fs';
import path from 'node:path';
import { quote } from '../../util/errors.js';
import { EngineError } from '../../engine/exit-codes.js';
import { parseReference } from '../../oci/image/reference.js';
import { build } from '../../build/index.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] PATH',
  flags: {
    tag: { type: 'string', short: 't', multiple: true, value: 'NAME[:TAG]', help: 'name the image (repeatable)' },
    file: { type: 'string', short: 'f', value: 'FILE', help: 'the Dockerfile (default: PATH/Dockerfile)' },
    'build-arg': { type: 'string', multiple: true, value: 'K[=V]', help: 'a build argument (repeatable; K alone takes V from the environment)' },
    target: { type: 'string', value: 'STAGE', help: 'build up to this stage' },
    'no-cache': { type: 'boolean', help: 'do not use the build cache' },
    network: { type: 'string', value: 'host|none', help: 'the network of RUN steps (default host)' },
    quiet: { type: 'boolean', short: 'q', help: 'print only the image ID' },
    progress: { type: 'string', value: 'plain', help: 'the only progress output (accepted for scripts written for docker)' },
  },
  notes: 'PATH is the build context, a directory. See src/build/README.md for what is supported.',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new EngineError('"hako build" requires exactly 1 argument: PATH (the build context)');
    const network = (v.network as string | undefined) ?? 'host';
    if (!['host', 'none', 'default'].includes(network)) throw new EngineError(`build: --network ${quote(network)}: only host and none are supported`);
    if (v.progress !== undefined && !['plain', 'auto', 'tty'].includes(v.progress as string))
      throw new EngineError(`build: --progress ${quote(v.progress as string)}: expected plain`);
    const tags = (v.tag as string[] | undefined) ?? [];
    for (const t of tags) {
      try {
        parseReference(t);
      } catch (e) {
        throw new EngineError(`build: invalid tag ${quote(t)}: ${(e as Error).message}`);
      }
    }
    const quiet = Boolean(v.quiet);
    const result = await build(engineOf(ctx), {
      contextDir: contextDir(positionals[0]!),
      dockerfile: v.file ? path.resolve(v.file as string) : undefined,
      tags,
      buildArgs: buildArgs((v['build-arg'] as string[] | undefined) ?? []),
      target: v.target as string | undefined,
      noCache: Boolean(v['no-cache']),
      network: network === 'none' ? 'none' : 'host',
      onProgress: quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
    });
    if (quiet) process.stdout.write(`${result.id}\n`);
    return 0;
  },
};
export default command;

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
