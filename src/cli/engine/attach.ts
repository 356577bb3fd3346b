// `hako attach`: this terminal (or these pipes) on a running container's stdio until it exits
// (its status is ours) or ctrl-p ctrl-q detaches (status 0), as docker's. The streaming is the
// library's (src/engine/attach.ts); here: the terminal's raw mode and size, and --sig-proxy.
import { attachContainer, parseDetachKeys, resizeAttachedTty } from '../../engine/attach.js';
import type { Engine } from '../../engine/engine.js';
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';

// docker's notifyAllSignals less what cannot or should not be passed on (SIGCHLD, SIGWINCH, SIGPIPE,
// the terminal's stop signals).
const PROXIED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER',
  flags: {
    'no-stdin': { type: 'boolean', help: 'do not attach stdin' },
    'sig-proxy': { type: 'boolean', help: 'pass received signals on to the container (default true; not with a terminal)' },
    'detach-keys': { type: 'string', value: 'KEYS', help: 'the keys that detach: ctrl-p,ctrl-q unless given; "" for none' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length !== 1) throw new HakoError('"hako attach" requires exactly 1 argument: CONTAINER');
    parseDetachKeys(v['detach-keys'] as string | undefined); // a bad value is refused before anything else
    const engine = engineOf(ctx);
    const id = engine.store.resolve(positionals[0]);
    const { options } = engine.store.readConfig(id);
    const withStdin = !v['no-stdin'] && options.interactive;
    if (options.tty && !v['no-stdin'] && !process.stdin.isTTY) throw new HakoError('the input device is not a TTY');
    const undo = [
      options.tty && withStdin ? rawTerminal() : () => {},
      options.tty ? followWindowSize(engine, id) : () => {},
      !options.tty && v['sig-proxy'] !== false ? proxySignals(engine, id) : () => {},
    ];
    try {
      const r = await attachContainer(
        engine,
        id,
        { stdin: withStdin ? process.stdin : undefined, stdout: process.stdout, stderr: process.stderr },
        { detachKeys: v['detach-keys'] as string | undefined },
      );
      if (r.end !== 'exited') return 0;
      return r.exitCode ?? (await engine.wait(id).catch(() => 0));
    } finally {
      for (const f of undo) f();
    }
  },
};
export default command;

function rawTerminal(): () => void {
  if (!process.stdin.isTTY) return () => {};
  process.stdin.setRawMode(true);
  return () => process.stdin.setRawMode(false);
}

/** The container's terminal follows ours: now, and at each SIGWINCH (stdout's `resize`). */
function followWindowSize(engine: Engine, id: string): () => void {
  if (!process.stdout.isTTY) return () => {};
  const resize = () => {
    try {
      resizeAttachedTty(engine, id, process.stdout.rows, process.stdout.columns);
    } catch {
      /* exited meanwhile */
    }
  };
  resize();
  process.stdout.on('resize', resize);
  return () => process.stdout.off('resize', resize);
}

function proxySignals(engine: Engine, id: string): () => void {
  const forward = (sig: NodeJS.Signals) => {
    engine.kill(id, sig, { quiet: true }).catch(() => {
      /* gone */
    });
  };
  for (const s of PROXIED) process.on(s, forward);
  return () => {
    for (const s of PROXIED) process.off(s, forward);
  };
}
