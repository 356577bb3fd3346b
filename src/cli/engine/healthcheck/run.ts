// `hako healthcheck run CONTAINER` (podman's): runs the container's health check once and records it;
// prints the status and exits 1 unless healthy, as podman does.
import { runHealthCheck } from '../../../engine/health-check.js';
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: 'CONTAINER',
  flags: {},
  async run(ctx, { positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako healthcheck run" requires exactly 1 argument: CONTAINER');
    const status = await runHealthCheck(engineOf(ctx), positionals[0]);
    if (status === 'healthy') return 0;
    process.stdout.write(`${status}\n`);
    return 1;
  },
};
export default command;
