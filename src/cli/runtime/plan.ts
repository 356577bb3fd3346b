// `hako runtime plan`: the plan compiled from a bundle, one operation a line (debugging).
import { compilePlan } from '../../runtime/plan/compile.js';
import { formatPlan } from '../../native/encode.js';
import { loadBundle } from '../../runtime/bundle.js';
import type { Command } from '../command.js';
import { bundleFlag, type RuntimeContext } from './common.js';
import { writeOut } from '../../util/stdio.js';

const command: Command<RuntimeContext> = {
  usage: '[--bundle DIR]',
  flags: bundleFlag,
  async run(_ctx, { values }) {
    const b = loadBundle(values.bundle as string);
    const ops = compilePlan(b.spec, { rootfs: b.rootfs, bundle: b.dir, fifo: '<fifo>', forkMode: 'wait', console: '@relay' });
    writeOut(`${formatPlan(ops)}\n`);
    return 0;
  },
};
export default command;
