// `hako version`: hako's version, its runtime and conmon's (no daemon: the engine is this process).
import { HakoError } from '../../util/errors.js';
import { renderTemplate } from '../../engine/format.js';
import type { Command } from '../command.js';
import type { EngineContext } from './common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS]',
  flags: { format: { type: 'string', short: 'f', value: 'TEMPLATE', help: 'a Go template ({{.Client.Version}}, {{json .}})' } },
  async run(_ctx, { values: v, positionals }) {
    if (positionals.length) throw new HakoError('"hako version" accepts no arguments');
    const { versionInfo } = await import('../../engine/system-info.js');
    const info = versionInfo();
    if (v.format) {
      process.stdout.write(`${renderTemplate(v.format as string, info)}\n`);
      return 0;
    }
    const c = info.Client;
    const s = info.Server;
    process.stdout.write(
      [
        'Client: hako',
        ` Version:           ${c.Version}`,
        ` OS/Arch:           ${c.OsArch}`,
        ` JavaScript:        ${c.Runtime}`,
        '',
        'Server: hako (daemonless: the engine runs in each command)',
        ' Engine:',
        `  Version:          ${s.Version}`,
        `  OS/Arch:          ${s.OsArch}`,
        `  Kernel:           ${s.KernelVersion}`,
        ' runtime:',
        `  Version:          ${s.OCIRuntime}`,
        ' conmon:',
        `  Version:          ${s.Conmon}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
export default command;
