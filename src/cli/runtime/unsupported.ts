// runc's `checkpoint` and `restore` (CRIU): refused in one line, even with --help (podman takes a
// zero exit of `checkpoint --help` for support).
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import type { RuntimeContext } from './common.js';

const command: Command<RuntimeContext> = {
  usage: 'ID',
  flags: {},
  rawArgs: true,
  async run(_ctx, _parsed, name) {
    throw new HakoError(`${name}: unsupported: hako has no checkpoint/restore (CRIU) support`);
  },
};
export default command;
