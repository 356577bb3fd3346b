// `hako runtime exec [FLAGS] ID [COMMAND…]`: a new process in a running container. Flags end at the
// container id: `exec ID sh -c …` must not read `-c` as --cap.
import { HakoError } from '../../util/errors.js';
import { Runtime } from '../../runtime/runtime.js';
import { validateId } from '../../runtime/state.js';
import { execProcess, readProcessFile } from '../../runtime/exec-process.js';
import type { Command, Flag } from '../command.js';
import { preservedFds, type RuntimeContext } from './common.js';

const str = (value: string, help: string, short?: string): Flag => ({ type: 'string', value, help, ...(short ? { short } : {}) });
const many = (value: string, help: string, short?: string): Flag => ({ ...str(value, help, short), multiple: true });

const command: Command<RuntimeContext> = {
  usage: '[FLAGS] ID [COMMAND [ARG...]]',
  flags: {
    process: str('FILE', 'the process as OCI process JSON (user defaults to 0:0)', 'p'),
    tty: { type: 'boolean', short: 't', help: 'a pty (relayed, or sent to --console-socket)' },
    detach: { type: 'boolean', short: 'd', help: 'return once the process runs' },
    env: many('K=V', 'add to the environment (repeatable)', 'e'),
    cwd: str('DIR', 'working directory'),
    user: str('UID[:GID]', 'numeric user and group', 'u'),
    'additional-gids': many('G', 'supplementary group (repeatable)', 'g'),
    cap: many('CAP', 'add a capability (repeatable)', 'c'),
    'no-new-privs': { type: 'boolean', help: 'set no_new_privs' },
    apparmor: str('PROFILE', 'AppArmor profile (refused where AppArmor is missing)'),
    'process-label': str('LABEL', 'accepted for runc compatibility (SELinux labels are not applied)'),
    'console-socket': str('PATH', 'with --tty: send the pty master to this Unix socket'),
    'pid-file': str('FILE', "write the process's pid to FILE"),
    'ignore-paused': { type: 'boolean', help: 'exec into a paused container (the process waits for resume)' },
    cgroup: many('[CTRL:]PATH', "join a sub-cgroup of the container's (it must exist; repeatable)"),
    'preserve-fds': str('N', 'pass fds 3..3+N-1 on to the process as the same numbers'),
  },
  flagsEndAtArgument: true,
  async run(ctx, { values: v, positionals }, name) {
    const [id, ...args] = positionals;
    if (!id) throw new HakoError('exec: container id is required');
    const preserveFds = preservedFds(v, name);
    const rt = new Runtime({ root: ctx.root });
    const proc = v.process
      ? readProcessFile(v.process as string)
      : execProcess(rt.states.readConfig(validateId(id)).process!, args, {
          tty: v.tty as boolean,
          env: v.env as string[] | undefined,
          cwd: v.cwd as string | undefined,
          user: v.user as string | undefined,
          additionalGids: v['additional-gids'] as string[] | undefined,
          noNewPrivs: v['no-new-privs'] as boolean,
          apparmor: v.apparmor as string | undefined,
          caps: v.cap as string[] | undefined,
        });
    return rt.exec(id, proc, {
      detach: v.detach as boolean,
      pidFile: v['pid-file'] as string | undefined,
      consoleSocket: v['console-socket'] as string | undefined,
      ignorePaused: v['ignore-paused'] as boolean,
      preserveFds,
      cgroup: v.cgroup as string[] | undefined,
    });
  },
};
export default command;
