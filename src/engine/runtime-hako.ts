// hako's own runtime behind the engine's OCIRuntime: the in-process library (src/runtime). conmon's
// create is answered by this process on a private socket (runtime-socket.ts); start, kill, delete
// and exec are library calls, so no process starts for any of them.
import type { Runtime } from '../runtime/index.js';
import type { Process, Spec } from '../oci/types.js';
import type { CgroupStats } from '../cgroups/index.js';
import { RuntimeSocket } from './runtime-socket.js';
import { findBin } from './monitor.js';
import type { CreateSession, ExecIo, OCIRuntime } from './oci-runtime.js';

export class HakoRuntime implements OCIRuntime {
  readonly name = 'hako';

  constructor(readonly runtime: Runtime) {}

  async beginCreate(id: string): Promise<CreateSession> {
    const socket = await RuntimeSocket.listen(this.runtime, id);
    return { conmon: socket.conmonRuntime(), created: socket.created, hasOwnError: () => socket.connected, close: () => socket.close() };
  }

  /** A restore is not answered in this process: conmon runs bin/hako-runtime's `restore`, whose
   *  criu must be conmon's child for the restored process to become conmon's (its subreaper). */
  async beginRestore(): Promise<CreateSession> {
    return {
      conmon: { path: findBin('hako-runtime'), args: [`--root=${this.runtime.states.root}`] },
      created: Promise.resolve(),
      hasOwnError: () => false,
      close: () => {},
    };
  }

  checkpoint(id: string, opts: { imagePath: string; workPath?: string; leaveRunning?: boolean }): Promise<void> {
    return this.runtime.checkpoint(id, opts);
  }

  start(id: string): Promise<void> {
    return this.runtime.start(id);
  }

  async state(id: string): Promise<{ status: string; pid?: number }> {
    const s = this.runtime.state(id);
    return { status: s.status, pid: s.pid };
  }

  kill(id: string, signal: number): Promise<void> {
    return this.runtime.kill(id, signal, { all: true });
  }

  pause(id: string): Promise<void> {
    return this.runtime.pause(id);
  }

  resume(id: string): Promise<void> {
    return this.runtime.resume(id);
  }

  delete(id: string): Promise<void> {
    return this.runtime.delete(id, { force: true });
  }

  exec(id: string, proc: Process, io: ExecIo): Promise<number> {
    return this.runtime.exec(id, proc, { detach: io.detach, stdio: io.stdio, pidFile: io.pidFile });
  }

  run(id: string, bundle: string, opts: { interactive: boolean }): Promise<number> {
    return this.runtime.run(id, { bundle, stdio: [opts.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'], keep: true });
  }

  spec(id: string): Spec {
    return this.runtime.states.readConfig(id);
  }

  stats(id: string): CgroupStats {
    return this.runtime.stats(id);
  }
}
