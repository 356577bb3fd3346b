// `hako history IMAGE`: the steps that made an image, newest first, as docker's table.
import { HakoError } from '../../util/errors.js';
import { humanDuration, humanSize, renderTemplate, table } from '../../engine/format.js';
import type { Command } from '../command.js';
import { engineOf, formatRows, type EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] IMAGE',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'image IDs only' },
    'no-trunc': { type: 'boolean', help: 'do not shorten IDs and commands' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.CreatedBy}}, {{.Size}}, …)' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako history" requires exactly 1 argument: IMAGE');
    const { imageHistory } = await import('../../image/history.js');
    const full = Boolean(v['no-trunc']);
    const rows = imageHistory(engineOf(ctx).images, positionals[0]).map((r) => ({
      ID: r.ID === '<missing>' || full ? r.ID : r.ID.slice(7, 19),
      CreatedSince: r.CreatedAt ? `${humanDuration(Date.now() - Date.parse(r.CreatedAt))} ago` : '',
      CreatedAt: r.CreatedAt,
      CreatedBy: full || r.CreatedBy.length <= 45 ? r.CreatedBy : `${r.CreatedBy.slice(0, 44)}…`,
      Size: humanSize(r.Size),
      Comment: r.Comment,
    }));
    if (v.quiet) process.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
    else {
      process.stdout.write(
        formatRows(v.format as string | undefined, rows, renderTemplate, () =>
          table([['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...rows.map((r) => [r.ID, r.CreatedSince, r.CreatedBy, r.Size, r.Comment])]),
        ),
      );
    }
    return 0;
  },
};
export default command;
