// `hako system prune [-a] [--volumes]`: stopped containers, unused networks, dangling (-a: unused)
// images, dangling (-a: all) build cache and, with --volumes, unused anonymous volumes, in one go
// as docker's.
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { engineOf, type EngineContext } from '../common.js';
import { PRUNE_FLAGS, confirm, deletedSection, reclaimed } from '../prune-output.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    all: { type: 'boolean', short: 'a', help: 'every image no container uses, not only dangling ones' },
    volumes: { type: 'boolean', help: 'anonymous volumes no container uses too' },
    ...PRUNE_FLAGS,
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako system prune" accepts no arguments');
    const p = await import('../../../engine/prune.js');
    const filters = p.parsePruneFilters((v.filter as string[] | undefined) ?? []);
    const what = [
      'all stopped containers',
      'all networks not used by at least one container',
      ...(v.volumes ? ['all anonymous volumes not used by at least one container'] : []),
      v.all ? 'all images without at least one container associated to them' : 'all dangling images',
      v.all ? 'all build cache' : 'all dangling build cache',
    ];
    if (!(await confirm(`This will remove:\n${what.map((w) => `  - ${w}\n`).join('')}`.trimEnd(), Boolean(v.force)))) return 0;
    const e = engineOf(ctx);
    const containers = await p.pruneContainers(e, filters);
    const networks = await p.pruneNetworks(e);
    const volumes = v.volumes ? await p.pruneVolumes(e, { filters }) : { deleted: [], bytes: 0 };
    const images = await p.pruneImages(e, { all: Boolean(v.all), filters });
    // After the images: a layer they held is dangling cache now (build/cache.ts).
    const { pruneBuildCache } = await import('../../../build/cache.js');
    // Cache entries have no labels: a label filter matches none of them.
    const cache = filters.labels.length ? { removed: [], bytes: 0 } : pruneBuildCache(e.images, { all: Boolean(v.all), until: filters.until });
    process.stdout.write(
      [
        deletedSection('Containers', containers.deleted),
        deletedSection('Networks', networks),
        deletedSection('Volumes', volumes.deleted),
        deletedSection('Images', [...images.untagged.map((u) => `untagged: ${u}`), ...images.deleted.map((d) => `deleted: ${d}`)]),
        deletedSection(
          'build cache objects',
          cache.removed.map((k) => k.slice(0, 25)),
        ),
        reclaimed(containers.bytes + volumes.bytes + images.bytes + cache.bytes),
      ].join(''),
    );
    return 0;
  },
};
export default command;
