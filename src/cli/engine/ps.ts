// `hako ps`: containers as docker's table, JSON lines or a --format template.
import { renderTemplate, table } from '../../engine/format.js';
import { psRow } from '../../engine/ps-rows.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

const COLUMNS = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];
const FIELDS = ['ID', 'Image', 'Command', 'RunningFor', 'Status', 'Ports', 'Names'];

/** A `table {{.ID}}\t{{.Names}}` template's header line: each field's column name. */
function header(body: string): string {
  const title = (f: string) => (f === 'ID' ? 'CONTAINER ID' : f.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase());
  return body.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, f: string) => title(f)).replace(/\\t/g, '\t');
}

function render(format: string | undefined, rows: Record<string, string | number>[]): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  if (format && format !== 'table') {
    const body = format.startsWith('table ') ? format.slice(6) : format;
    const head = format.startsWith('table ') ? `${header(body)}\n` : '';
    return head + rows.map((r) => `${renderTemplate(body, r)}\n`).join('');
  }
  return table([COLUMNS, ...rows.map((r) => FIELDS.map((f) => String(r[f])))]);
}

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: {
    all: { type: 'boolean', short: 'a', help: 'all containers (default: running ones)' },
    quiet: { type: 'boolean', short: 'q', help: 'IDs only' },
    format: { type: 'string', value: 'F', help: 'table, json, or a Go template ({{.ID}}, {{.Names}}, …; "table …" adds a header)' },
    'no-trunc': { type: 'boolean', help: 'full IDs' },
    latest: { type: 'boolean', short: 'l', help: 'only the latest created container' },
  },
  async run(ctx, { values: v }) {
    const e = engineOf(ctx);
    await e.reapNetworks(); // containers that died unseen still hold addresses and namespaces
    let list = (await e.list()).filter(({ state }) => v.all || state.status === 'running' || state.status === 'restarting');
    if (v.latest) list = list.slice(0, 1);
    const rows = list.map(({ config, state }) => {
      const r = psRow(config, state);
      const ports = e.networks.state(e.store.containerDir(config.id))?.ports ?? [];
      r.Ports = ports.map((p) => `${p.hostIP || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.protocol}`).join(', ');
      if (v['no-trunc']) r.ID = config.id;
      return r;
    });
    if (v.quiet) process.stdout.write(rows.map((r) => `${r.ID}\n`).join(''));
    else process.stdout.write(render(v.format as string | undefined, rows));
    return 0;
  },
};
export default command;
