// The flags `checkpoint` and `restore` share (runc's), and their reading into the library's options.
import path from 'node:path';
import type { CriuCommonOptions } from '../../runtime/index.js';
import type { Flags, Parsed } from '../command.js';

export const criuCommonFlags: Flags = {
  'image-path': { type: 'string', value: 'DIR', help: 'the criu image files (default ./checkpoint)' },
  'work-path': { type: 'string', value: 'DIR', help: "criu's log and work files (default: the image directory)" },
  'tcp-established': { type: 'boolean', help: 'allow open TCP connections' },
  'ext-unix-sk': { type: 'boolean', help: 'allow external Unix sockets' },
  'shell-job': { type: 'boolean', help: 'allow shell jobs (a process tree attached to a terminal)' },
  'file-locks': { type: 'boolean', help: 'handle file locks' },
  'manage-cgroups-mode': { type: 'string', value: 'MODE', help: 'cgroups mode: soft (default), full, strict or ignore' },
  'empty-ns': { type: 'string', multiple: true, value: 'NS', help: "create a namespace, but don't restore its properties (network)" },
  'auto-dedup': { type: 'boolean', help: 'deduplicate memory images' },
};

export function criuCommonOptions(values: Parsed['values']): CriuCommonOptions {
  return {
    // runc's default: ./checkpoint of the directory it is run in.
    imagePath: (values['image-path'] as string | undefined) || path.resolve('checkpoint'),
    workPath: values['work-path'] as string | undefined,
    tcpEstablished: !!values['tcp-established'],
    extUnixSk: !!values['ext-unix-sk'],
    shellJob: !!values['shell-job'],
    fileLocks: !!values['file-locks'],
    manageCgroupsMode: values['manage-cgroups-mode'] as string | undefined,
    emptyNs: values['empty-ns'] as string[] | undefined,
  };
}
