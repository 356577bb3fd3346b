// `hako runtime update`: new cgroup limits for a running container, from flags or a JSON file.
import { Runtime } from '../../runtime/runtime.js';
import { readResourcesFile, resourcesFromFlags } from '../../runtime/cgroup-commands.js';
import type { Command, Flag } from '../command.js';
import { one, type RuntimeContext } from './common.js';

const n = (help: string): Flag => ({ type: 'string', value: 'N', help });
const bytes = (help: string): Flag => ({ type: 'string', value: 'BYTES', help: `${help} (k, m, g suffixes; -1: unlimited)` });

const command: Command<RuntimeContext> = {
  usage: '[FLAGS] ID',
  flags: {
    resources: { type: 'string', short: 'r', value: 'FILE|-', help: 'linux.resources JSON (- reads stdin)' },
    'blkio-weight': n('block I/O weight (10-1000)'),
    'cpu-period': n('CPU CFS period in microseconds'),
    'cpu-quota': n('CPU CFS quota in microseconds per period (-1: unlimited)'),
    'cpu-share': n('CPU shares (relative weight)'),
    'cpu-rt-period': n('CPU realtime period in microseconds'),
    'cpu-rt-runtime': n('CPU realtime runtime in microseconds'),
    'cpuset-cpus': { type: 'string', value: 'LIST', help: 'CPUs to run on (0-3, 0,1)' },
    'cpuset-mems': { type: 'string', value: 'LIST', help: 'memory nodes to use (0-3, 0,1)' },
    memory: bytes('memory limit'),
    'memory-reservation': bytes('memory soft limit'),
    'memory-swap': bytes('memory plus swap limit'),
    'kernel-memory': bytes('kernel memory limit (cgroup v1)'),
    'pids-limit': n('maximum number of processes (-1: unlimited)'),
  },
  notes: '-1 means unlimited where runc takes it.',
  async run(ctx, { values, positionals }, name) {
    const id = one(positionals, name);
    const resources = values.resources ? readResourcesFile(values.resources as string) : resourcesFromFlags(values);
    await new Runtime({ root: ctx.root }).update(id, resources);
    return 0;
  },
};
export default command;
