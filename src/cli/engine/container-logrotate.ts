// `hako container-logrotate LOG MAX-FILE MONITOR-PID`: the rotator beside conmon for --log-opt
// max-file above 1 (engine/log-rotate.ts), started by the engine with the container; it ends with
// conmon, or when rm kills it. Nobody reads its output.
import { logError } from '../../util/log.js';
import type { Command } from '../command.js';
import type { EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: 'LOG MAX-FILE MONITOR-PID',
  flags: {},
  rawArgs: true,
  async run(_ctx, { positionals }) {
    const [file, maxFile, pid] = positionals;
    if (!file || !Number(maxFile) || !Number(pid)) return 1;
    const { runLogRotator } = await import('../../engine/log-rotate.js');
    await runLogRotator(file, Number(maxFile), Number(pid)).catch((e: Error) => logError(e.message));
    return 0;
  },
};
export default command;
