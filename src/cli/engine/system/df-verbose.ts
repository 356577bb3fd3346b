// `hako system df -v`: docker's verbose tables (cli/command/formatter/disk_usage.go's templates and
// headers): images with shared and unique sizes, containers, local volumes with their links, and
// the build cache's entries.
import { formatList, humanDuration } from '../../../engine/format.js';
import { dockerSize, psRow } from '../../../engine/ps-rows.js';
import type { Engine } from '../../../engine/engine.js';
import type { CacheUsage } from '../../../build/cache.js';
import { ImageReference, parseReference } from '../../../image/index.js';

const ago = (t: string | Date | undefined) => (t ? `${humanDuration(Date.now() - new Date(t).getTime())} ago` : '');

function repoTag(reference: string): [string, string] {
  try {
    const r = parseReference(reference, { defaultTag: false });
    return [new ImageReference(r.domain, r.path).familiar(), r.tag ?? '<none>'];
  } catch {
    return [reference, '<none>'];
  }
}

export async function verboseDf(e: Engine, cache: CacheUsage[]): Promise<string> {
  const { dfContainers, dfImages, dfVolumes } = await import('../../../engine/df.js');
  const images = (await dfImages(e)).map((i) => {
    const [Repository, Tag] = repoTag(i.reference);
    const [SharedSize, UniqueSize] = [dockerSize(i.shared), dockerSize(i.size - i.shared)];
    return { Repository, Tag, ID: i.id.slice(7, 19), CreatedSince: ago(i.created), Size: dockerSize(i.size), SharedSize, UniqueSize, Containers: i.containers };
  });
  const containers = (await dfContainers(e)).map((c) => ({ ...psRow(c.config, c.state), Size: dockerSize(c.size) }));
  const volumes = (await dfVolumes(e)).map((v) => ({ Name: v.name, Links: v.links, Size: dockerSize(v.size) }));
  const entries = cache.map((c) => ({
    ID: c.id.slice(0, 12),
    CacheType: 'regular',
    Size: dockerSize(c.size),
    CreatedSince: ago(c.created),
    LastUsedSince: ago(c.lastUsed),
    UsageCount: c.uses,
    Shared: String(c.shared),
  }));
  const cacheBytes = cache.reduce((n, c) => n + c.size, 0);
  return [
    'Images space usage:\n\n',
    formatList(undefined, images, {
      defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}',
      headers: {
        Repository: 'REPOSITORY',
        Tag: 'TAG',
        ID: 'IMAGE ID',
        CreatedSince: 'CREATED',
        Size: 'SIZE',
        SharedSize: 'SHARED SIZE',
        UniqueSize: 'UNIQUE SIZE',
        Containers: 'CONTAINERS',
      },
    }),
    '\nContainers space usage:\n\n',
    formatList(undefined, containers, {
      defaultTable: 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}',
      headers: {
        ID: 'CONTAINER ID',
        Image: 'IMAGE',
        Command: 'COMMAND',
        LocalVolumes: 'LOCAL VOLUMES',
        Size: 'SIZE',
        RunningFor: 'CREATED',
        Status: 'STATUS',
        Names: 'NAMES',
      },
    }),
    '\nLocal Volumes space usage:\n\n',
    formatList(undefined, volumes, { defaultTable: 'table {{.Name}}\t{{.Links}}\t{{.Size}}', headers: { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' } }),
    `\nBuild cache usage: ${dockerSize(cacheBytes)}\n\n`,
    formatList(undefined, entries, {
      defaultTable: 'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}',
      headers: {
        ID: 'CACHE ID',
        CacheType: 'CACHE TYPE',
        Size: 'SIZE',
        CreatedSince: 'CREATED',
        LastUsedSince: 'LAST USED',
        UsageCount: 'USAGE',
        Shared: 'SHARED',
      },
    }),
  ].join('');
}
