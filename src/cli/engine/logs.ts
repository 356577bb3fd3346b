// `hako logs`: a container's output, from its log; -f follows it.
import { HakoError } from '../../util/errors.js';
import { type LogEntry, streamSink } from '../../engine/logs.js';
import { parseLogTime } from '../../engine/log-time.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER',
  flags: {
    follow: { type: 'boolean', short: 'f', help: 'follow the output until the container exits (or --until passes)' },
    tail: { type: 'string', short: 'n', value: 'N', help: 'only the last N lines (default all)' },
    timestamps: { type: 'boolean', short: 't', help: 'prefix each line with its time' },
    since: { type: 'string', value: 'TIME', help: 'lines from TIME on: RFC 3339, a unix timestamp, or a duration back (10m)' },
    until: { type: 'string', value: 'TIME', help: 'lines before TIME (same forms as --since)' },
    details: { type: 'boolean', help: "accepted for docker compatibility: the extra attributes it shows come from log options hako's logs do not take" },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako logs" requires exactly 1 argument: CONTAINER');
    let tail = -1;
    if (v.tail !== undefined && v.tail !== 'all') {
      if (!/^\d+$/.test(v.tail as string)) throw new HakoError(`invalid argument "${v.tail}" for "--tail" flag: expected a number or "all"`);
      tail = Number(v.tail);
    }
    const since = v.since === undefined ? -Infinity : parseLogTime(v.since as string, 'since');
    const until = v.until === undefined ? Infinity : parseLogTime(v.until as string, 'until');
    // The engine ends -f once `until` has passed (docker's `logs -f --until`).
    const opts = { follow: Boolean(v.follow), tail, timestamps: Boolean(v.timestamps), ...(v.until === undefined ? {} : { until }) };
    const sink = streamSink(Boolean(v.timestamps));
    const inRange = (e: LogEntry) => {
      const t = Date.parse(e.time);
      return t >= since && t < until;
    };
    await engineOf(ctx).logs(positionals[0], opts, {
      write: (e) => {
        if (inRange(e)) sink.write(e);
      },
    });
    return 0;
  },
};
export default command;
