// `hako runtime events`: stats events, and OOM kills, as JSON lines (runc's events).
import fs from 'node:fs';
import { HakoError } from '../../util/errors.js';
import { Runtime } from '../../runtime/runtime.js';
import { streamEvents } from '../../runtime/cgroup-commands.js';
import type { Command } from '../command.js';
import { one, type RuntimeContext } from './common.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60000 };

const command: Command<RuntimeContext> = {
  usage: '[--stats] [--interval 5s] ID',
  flags: {
    stats: { type: 'boolean', help: 'one stats event, then exit' },
    interval: { type: 'string', default: '5s', value: 'D', help: 'between stats events (500ms, 5s, 1m)' },
  },
  async run(ctx, { values, positionals }, name) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(values.interval as string);
    if (!m) throw new HakoError(`events: --interval must be a duration like 5s or 500ms, got "${values.interval}"`);
    const intervalMs = Number(m[1]) * UNIT_MS[m[2] ?? 's'];
    await streamEvents(new Runtime({ root: ctx.root }), one(positionals, name), {
      once: Boolean(values.stats),
      intervalMs,
      out: (l) => fs.writeSync(1, `${l}\n`),
    });
    return 0;
  },
};
export default command;
