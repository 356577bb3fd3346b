// `hako runtime ps [--format F] ID [PS-OPTIONS…]`: the options after the id are ps(1)'s, as runc's.
import { HakoError } from '../../util/errors.js';
import { Runtime } from '../../runtime/runtime.js';
import { psOutput } from '../../runtime/cgroup-commands.js';
import type { Command } from '../command.js';
import type { RuntimeContext } from './common.js';
import { writeOut } from '../../util/stdio.js';

const command: Command<RuntimeContext> = {
  usage: '[--format table|json] ID [PS-OPTIONS...]',
  flags: {
    format: {
      type: 'string',
      short: 'f',
      default: 'table',
      value: 'F',
      help: "table: ps(1) with PS-OPTIONS (default -ef), the container's lines; json: its pids",
    },
  },
  flagsEndAtArgument: true,
  async run(ctx, { values, positionals }) {
    if (!positionals.length) throw new HakoError('ps: expects exactly one container id, got 0');
    writeOut(await psOutput(new Runtime({ root: ctx.root }), positionals[0], values.format as string, positionals.slice(1)));
    return 0;
  },
};
export default command;
