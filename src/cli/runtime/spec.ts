// `hako runtime spec`: a default config.json, as `runc spec`.
import fs from 'node:fs';
import path from 'node:path';
import { asHakoError, HakoError } from '../../util/errors.js';
import { defaultSpec } from '../../oci/default.js';
import type { Command } from '../command.js';
import type { RuntimeContext } from './common.js';

const command: Command<RuntimeContext> = {
  usage: '[--bundle DIR] [--rootless]',
  flags: {
    bundle: { type: 'string', short: 'b', default: '.', value: 'DIR', help: 'where to write config.json (default .)' },
    rootless: { type: 'boolean', help: 'a spec for an ordinary user (user namespace, no cgroup limits)' },
  },
  async run(_ctx, { values }) {
    const file = path.join(values.bundle as string, 'config.json');
    if (fs.existsSync(file)) throw new HakoError(`${file} already exists`);
    const spec = defaultSpec({ rootless: values.rootless as boolean, uid: process.getuid!(), gid: process.getgid!() });
    try {
      fs.writeFileSync(file, `${JSON.stringify(spec, null, '\t')}\n`, { flag: 'wx' });
    } catch (e) {
      throw asHakoError(`spec: cannot write ${file}`, e);
    }
    return 0;
  },
};
export default command;
