// `hako images`: the store's images as docker's table, JSON lines or a --format template.
import { humanDuration, humanSize, renderTemplate, table } from '../../engine/format.js';
import type { Engine } from '../../engine/engine.js';
import { ImageReference, parseReference } from '../../oci/image/reference.js';
import type { Command } from '../command.js';
import { engineOf, formatRows, type EngineContext } from './common.js';

type Row = { Repository: string; Tag: string; ID: string; Digest: string; CreatedSince: string; Size: string };

function rowsOf(e: Engine, noTrunc: boolean): Row[] {
  return e.images.listImages().map((rec) => {
    let repo = rec.reference;
    let tag = '<none>';
    try {
      const r = parseReference(rec.reference);
      repo = new ImageReference(r.domain, r.path).familiar();
      tag = r.tag ?? '<none>';
    } catch {
      /* keep the raw reference */
    }
    let created = '';
    try {
      const cfg = e.images.readJSON<{ created?: string }>(rec.config);
      created = cfg.created ? `${humanDuration(Date.now() - Date.parse(cfg.created))} ago` : '';
    } catch {
      /* config missing */
    }
    return {
      Repository: repo,
      Tag: tag,
      ID: noTrunc ? rec.config : rec.config.slice(7, 19),
      Digest: rec.digest,
      CreatedSince: created,
      Size: humanSize(rec.size),
    };
  });
}

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'image IDs only' },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Repository}}, {{.Tag}}, {{.ID}}, …)' },
    all: { type: 'boolean', short: 'a', help: 'accepted for docker compatibility (there are no intermediate images)' },
    'no-trunc': { type: 'boolean', help: 'full image IDs' },
  },
  async run(ctx, { values: v }) {
    const rows = rowsOf(engineOf(ctx), Boolean(v['no-trunc']));
    if (v.quiet) process.stdout.write([...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join(''));
    else {
      process.stdout.write(
        formatRows(v.format as string | undefined, rows, renderTemplate, () =>
          table([['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], ...rows.map((r) => [r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size])]),
        ),
      );
    }
    return 0;
  },
};
export default command;
