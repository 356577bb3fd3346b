// `hako pod stop [-t SECONDS] POD…`: the pod's containers, then its infra container.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { each, need, type EngineContext } from '../common.js';
import { podsOf } from './common.js';

/** -t of `pod stop` and `pod restart`. */
export function stopTimeout(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,9}$/.test(value as string)) throw new HakoError(`invalid argument "${value}" for "--time" flag: expected seconds`);
  return Number(value);
}

const command: Command<EngineContext> = {
  usage: '[OPTIONS] POD...',
  flags: {
    time: { type: 'string', short: 't', value: 'SECONDS', help: "seconds to wait before killing (default: each container's stop timeout)" },
  },
  async run(ctx, { values: v, positionals }, name) {
    need(positionals, name);
    const t = stopTimeout(v.time);
    const pods = podsOf(ctx);
    return each(positionals, async (ref) => {
      const pod = pods.resolve(ref);
      await pods.stop(pod, t);
      process.stdout.write(`${pod.id}\n`);
    });
  },
};
export default command;
