// `hako search [REGISTRY/]TERM`: repositories whose name contains TERM, as docker's table (NAME,
// DESCRIPTION, STARS, OFFICIAL, AUTOMATED). A registry other than Docker Hub is searched through its
// /v2/_catalog, as podman does (image/search.ts).
import { HakoError } from '../../util/errors.js';
import { EngineError } from '../../engine/exit-codes.js';
import { formatList } from '../../engine/format.js';
import type { Command } from '../command.js';
import type { EngineContext } from './common.js';

const HEADERS = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL', IsAutomated: 'AUTOMATED' };
const DEFAULT_TABLE = 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}';

type Filter = (r: { StarCount: number; IsOfficial: boolean; IsAutomated: boolean }) => boolean;

/** docker's --filter: stars=N, is-official=BOOL, is-automated=BOOL. */
function parseFilters(list: string[]): Filter[] {
  return list.map((f) => {
    const [key, value = ''] = f.split(/=(.*)/s);
    if (key === 'stars') {
      if (!/^\d+$/.test(value)) throw new HakoError(`invalid filter 'stars=${value}'`);
      return (r) => r.StarCount >= Number(value);
    }
    if (key === 'is-official' || key === 'is-automated') {
      if (value !== 'true' && value !== 'false') throw new HakoError(`invalid filter '${key}=${value}'`);
      return (r) => (key === 'is-official' ? r.IsOfficial : r.IsAutomated) === (value === 'true');
    }
    throw new HakoError(`invalid filter '${key}'`);
  });
}

/** docker's Ellipsis: at most `n` characters, the last one `…` when cut. */
const ellipsis = (s: string, n: number) => ([...s].length > n ? `${[...s].slice(0, n - 1).join('')}…` : s);

const command: Command<EngineContext> = {
  usage: '[OPTIONS] [REGISTRY/]TERM',
  flags: {
    filter: { type: 'string', short: 'f', multiple: true, value: 'K=V', help: 'stars=N, is-official=true|false, is-automated=true|false' },
    format: { type: 'string', value: 'F', help: 'a Go template ({{.Name}}, {{.Description}}, {{.StarCount}}, {{.IsOfficial}}, {{.IsAutomated}})' },
    limit: { type: 'string', value: 'N', help: 'at most N results, 1 to 100 (default 25)' },
    'no-trunc': { type: 'boolean', help: 'do not shorten descriptions' },
  },
  notes: 'A registry other than Docker Hub is searched through its /v2/_catalog (as podman does): REGISTRY/ with an empty TERM lists it all.',
  async run(_ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako search" requires exactly 1 argument: TERM');
    if (v.limit !== undefined && !/^-?\d+$/.test(v.limit as string)) throw new EngineError(`invalid argument "${v.limit}" for "--limit" flag: not a number`);
    const limit = v.limit === undefined ? 25 : Number(v.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HakoError(`limit ${v.limit} is outside the range of [1, 100]`);
    const filters = parseFilters((v.filter as string[] | undefined) ?? []);
    const { RegistryClient } = await import('../../image/index.js');
    const { searchRegistry, splitSearchTerm } = await import('../../image/search.js');
    const { domain, term } = splitSearchTerm(positionals[0]!);
    const found = (await searchRegistry(new RegistryClient(), domain, term, limit)).filter((r) => filters.every((f) => f(r)));
    const rows = found.map((r) => ({
      Name: r.Name,
      Description: v['no-trunc'] ? r.Description : ellipsis(r.Description.replace(/\s*\n\s*/g, ' '), 45),
      StarCount: String(r.StarCount),
      IsOfficial: r.IsOfficial ? '[OK]' : '',
      IsAutomated: r.IsAutomated ? '[OK]' : '',
    }));
    process.stdout.write(formatList(v.format as string | undefined, rows, { defaultTable: DEFAULT_TABLE, headers: HEADERS }));
    return 0;
  },
};
export default command;
