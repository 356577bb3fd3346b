// `hako runtime features`: what this runtime supports, as the OCI features JSON.
import { features } from '../../runtime/features.js';
import type { Command } from '../command.js';
import type { RuntimeContext } from './common.js';
import { writeOut } from '../../util/stdio.js';

const command: Command<RuntimeContext> = {
  usage: '',
  flags: {},
  async run() {
    writeOut(`${JSON.stringify(features(), null, 2)}\n`);
    return 0;
  },
};
export default command;
