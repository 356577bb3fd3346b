// `hako runtime list`: the containers of this root, as runc's table or JSON.
import { HakoError } from '../../util/errors.js';
import { Runtime } from '../../runtime/runtime.js';
import type { Command } from '../command.js';
import type { RuntimeContext } from './common.js';
import { writeOut } from '../../util/stdio.js';

const command: Command<RuntimeContext> = {
  usage: '[--format table|json] [--quiet]',
  flags: {
    format: { type: 'string', short: 'f', default: 'table', value: 'F', help: "table (default) or json (runc's fields)" },
    quiet: { type: 'boolean', short: 'q', help: 'ids only' },
  },
  async run(ctx, { values }) {
    const rt = new Runtime({ root: ctx.root });
    const all = await rt.list();
    if (values.quiet) writeOut(all.map((s) => `${s.id}\n`).join(''));
    else if (values.format === 'json') {
      // runc's fields (rootfs and owner too, which tools written against runc read).
      const runcLike = async (s: (typeof all)[number]) => {
        try {
          return { ...(await rt.runcState(s.id)), pid: s.pid ?? 0, status: s.status, created: s.created };
        } catch {
          return { ...s, pid: s.pid ?? 0 }; // deleted meanwhile
        }
      };
      writeOut(`${JSON.stringify(await Promise.all(all.map(runcLike)))}\n`);
    } else if (values.format === 'table') {
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED'], ...all.map((s) => [s.id, String(s.pid ?? 0), s.status, s.bundle, s.created])];
      const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
      const line = (r: string[]) =>
        r
          .map((v, c) => v.padEnd(widths[c]))
          .join('   ')
          .trimEnd();
      writeOut(`${rows.map(line).join('\n')}\n`);
    } else throw new HakoError(`list: --format must be table or json, got "${values.format}"`);
    return 0;
  },
};
export default command;
