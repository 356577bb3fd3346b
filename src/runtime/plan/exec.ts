// `exec`: a new process in a running container. It joins every namespace the container has (the
// user namespace first, so the others are entered with its privileges), forks so that it is inside
// the PID and time namespaces too, and ends like the container's own init (processOps).
import type { Process, Spec } from '../../oci/types.js';
import { NAMESPACE_FLAGS, NAMESPACE_PROC_NAMES } from '../../oci/names.js';
import { consoleOp, processOps, reopenStdioOp, sortForJoining } from './compile.js';
import { op, type Op } from '../../native/ops.js';

export interface ExecContext {
  /** The container's init, whose namespaces we join. */
  pid: number;
  forkMode: 'exit' | 'wait';
  /** A console socket path or `@relay`, when process.terminal. */
  console?: string;
  seccompProfile?: string | Buffer;
  seccompListener?: string;
  /** runc's --preserve-fds N: the helper got our fds 3..3+N-1 at `first`.. (native/launch.ts). */
  preserveFds?: { first: number; count: number };
}

export function compileExecPlan(spec: Spec, process: Process, ctx: ExecContext): Op[] {
  const ops: Op[] = [];
  // First, so that no fd the helper opens lands on 3..3+N-1 (native/README.md).
  if (ctx.preserveFds?.count) ops.push(op('preserve_fds', String(ctx.preserveFds.first), String(ctx.preserveFds.count)));
  if (ctx.seccompListener) ops.push(op('seccomp_listener', ctx.seccompListener));
  // The socket is a host path: connect before the mount namespace hides it.
  if (process.terminal && ctx.console && ctx.console !== '@relay') ops.push(op('console_socket', ctx.console));
  const types = sortForJoining(spec.linux?.namespaces ?? []).map((n) => n.type);
  for (const t of types) ops.push(op('setns', `/proc/${ctx.pid}/ns/${NAMESPACE_PROC_NAMES[t]}`, String(NAMESPACE_FLAGS[t])));
  // Without a mount namespace of its own the container is only chroot'ed: so is the new process,
  // into the root its init sees.
  if (!types.includes('mount')) ops.push(op('chroot', `/proc/${ctx.pid}/root`, 'in-place'));
  ops.push(op('fork', ctx.forkMode, process.terminal ? (ctx.console === '@relay' ? 'relay' : 'socket') : 'none'));
  if (process.terminal && ctx.console === '@relay') ops.push(op('console_socket', '@relay'));
  if (process.terminal) ops.push(consoleOp(process, ctx.console));
  // Joined to the container's mount namespace, `/` is the container's: its own /dev/null replaces
  // the host's as stdio.
  else ops.push(reopenStdioOp());
  if (process.oomScoreAdj !== undefined) ops.push(op('write', '/proc/self/oom_score_adj', String(process.oomScoreAdj)));
  ops.push(
    ...processOps({ ...spec, hooks: {} }, process, ctx.seccompProfile, {
      barrier: false,
      notify: Boolean(ctx.seccompListener),
      preservedFds: ctx.preserveFds?.count ?? 0,
    }),
  );
  return ops;
}
