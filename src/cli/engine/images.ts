// `hako images [REPOSITORY[:TAG]]`: the store's images as docker's table, JSON lines or a --format
// template, filtered as docker's (--filter reference=, label=, dangling=, before=, since=).
import { formatList, humanDuration, humanSize } from '../../engine/format.js';
import { imageFilter } from '../../image/filter.js';
import { goTime } from '../../engine/ps-rows.js';
import type { Engine } from '../../engine/engine.js';
import { ImageReference, parseReference } from '../../oci/image/reference.js';
import { HakoError } from '../../util/errors.js';
import type { ImageRecord } from '../../storage/store/index.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

type Row = { Repository: string; Tag: string; ID: string; Digest: string; CreatedSince: string; CreatedAt: string; Size: string };

const HEADERS = { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE' };

function rowsOf(e: Engine, noTrunc: boolean, keep: (rec: ImageRecord) => boolean): Row[] {
  return e.images
    .listImages()
    .filter(keep)
    .map((rec) => {
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
      let createdAt = '';
      try {
        const cfg = e.images.readJSON<{ created?: string }>(rec.config);
        created = cfg.created ? `${humanDuration(Date.now() - Date.parse(cfg.created))} ago` : '';
        createdAt = cfg.created ? goTime(cfg.created) : '';
      } catch {
        /* config missing */
      }
      return {
        Repository: repo,
        Tag: tag,
        ID: noTrunc ? rec.config : rec.config.slice(7, 19),
        Digest: rec.digest,
        CreatedSince: created,
        CreatedAt: createdAt,
        Size: humanSize(rec.size),
      };
    });
}

const command: Command<EngineContext> = {
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  flags: {
    quiet: { type: 'boolean', short: 'q', help: 'image IDs only' },
    filter: {
      type: 'string',
      short: 'f',
      multiple: true,
      value: 'K=V',
      help: 'reference=PATTERN, label=KEY[=VALUE], dangling=true|false, before=IMAGE, since=IMAGE',
    },
    format: { type: 'string', value: 'F', help: 'json, or a Go template ({{.Repository}}, {{.Tag}}, {{.ID}}, …)' },
    all: { type: 'boolean', short: 'a', help: 'accepted for docker compatibility (there are no intermediate images)' },
    'no-trunc': { type: 'boolean', help: 'full image IDs' },
    digests: { type: 'boolean', help: 'a DIGEST column' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length > 1) throw new HakoError('"hako images" takes at most 1 argument: REPOSITORY[:TAG]');
    const e = engineOf(ctx);
    const rows = rowsOf(e, Boolean(v['no-trunc']), imageFilter(e.images, (v.filter as string[] | undefined) ?? [], positionals[0]));
    if (v.quiet) process.stdout.write([...new Set(rows.map((r) => r.ID))].map((id) => `${id}\n`).join(''));
    else {
      const digest = v.digests ? '\t{{.Digest}}' : '';
      const defaultTable = `table {{.Repository}}\t{{.Tag}}${digest}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`;
      process.stdout.write(formatList(v.format as string | undefined, rows, { defaultTable, headers: HEADERS }));
    }
    return 0;
  },
};
export default command;
