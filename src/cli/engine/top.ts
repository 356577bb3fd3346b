// `hako top CONTAINER [ps OPTIONS]`: the container's processes, read from /proc; with ps options,
// the host's ps(1) run with them and its lines kept for the container's pids, as docker's daemon does.
import { spawnSync } from 'node:child_process';
import { HakoError } from '../../util/errors.js';
import { table } from '../../engine/format.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

/** ps's output with its header and the lines whose PID column is one of `pids`. */
function psLines(args: string[], pids: number[]): string {
  const r = spawnSync('ps', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new HakoError(`ps ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim() || `exit status ${r.status}`}`);
  const [header = '', ...lines] = r.stdout.split('\n');
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column < 0) throw new HakoError(`Couldn't find PID field in ps output (ps ${args.join(' ')})`);
  const wanted = new Set(pids.map(String));
  return [header, ...lines.filter((l) => wanted.has(l.trim().split(/\s+/)[column] ?? ''))].map((l) => `${l}\n`).join('');
}

const command: Command<EngineContext> = {
  usage: 'CONTAINER [ps OPTIONS]',
  flags: {},
  flagsEndAtArgument: true,
  notes:
    'Without ps options: UID, PID, PPID, STAT, TIME and CMD from /proc. With them (`top c -o pid,comm`, `top c aux`): ps(1) run with them on the host, its lines of the container kept.',
  async run(ctx, { positionals }) {
    const [ref, ...psArgs] = positionals;
    if (!ref) throw new HakoError('"hako top" requires at least 1 argument: CONTAINER [ps OPTIONS]');
    const e = engineOf(ctx);
    process.stdout.write(psArgs.length ? psLines(psArgs, await e.topPids(ref)) : table(await e.top(ref)));
    return 0;
  },
};
export default command;
