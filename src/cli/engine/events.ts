// `hako events [--since T] [--until T] [--filter K=V] [--format F]`: what the engine's commands did,
// from <root>/events.log (see src/engine/events.ts), followed until interrupted or --until.
import { renderTemplate } from '../../engine/format.js';
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    since: { type: 'string', value: 'TIME', help: 'events from then on (10m, a timestamp, seconds since the epoch)' },
    until: { type: 'string', value: 'TIME', help: 'stop at that time (without it: follow until interrupted)' },
    filter: { type: 'string', short: 'f', multiple: true, value: 'K=V', help: 'type=, event=, container=, image=, volume=, label=' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Type}} {{.Action}} {{.Actor.ID}})' },
  },
  notes: 'Recorded: container create, start, die, kill, pause, unpause, rename, restart, commit, destroy;\nimage tag, untag, push; volume create, destroy.',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako events" accepts no arguments');
    const { formatEvent, parseEventFilters, parseEventTime, readEvents } = await import('../../engine/events.js');
    const f = {
      since: v.since ? parseEventTime(v.since as string, '--since') : undefined,
      until: v.until ? parseEventTime(v.until as string, '--until') : undefined,
      filters: parseEventFilters((v.filter as string[] | undefined) ?? []),
    };
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    for await (const ev of readEvents(engineOf(ctx).root, f, { follow: f.until === undefined || f.until > Date.now(), signal: stop.signal })) {
      const line = v.format === 'json' ? JSON.stringify(ev) : v.format ? renderTemplate(v.format as string, ev) : formatEvent(ev);
      process.stdout.write(`${line}\n`);
    }
    return 0;
  },
};
export default command;
