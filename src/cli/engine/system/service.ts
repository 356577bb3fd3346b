// `hako system service [--time N] [unix:///PATH]`: the Docker Engine API on a Unix socket, for
// docker's clients (compose, testcontainers, dockerode, docker-py, the docker CLI with DOCKER_HOST).
// As podman's: it exits after --time seconds without requests or connections (0: never).
import { HakoError } from '../../../util/errors.js';
import type { Command } from '../../command.js';
import { printWarning, type EngineContext } from '../common.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] [unix:///PATH]',
  flags: {
    time: { type: 'string', short: 't', default: '5', value: 'SECONDS', help: 'exit after this many idle seconds (0: never; default 5)' },
  },
  notes:
    'The socket: /run/hako/docker.sock for root, $XDG_RUNTIME_DIR/hako/docker.sock otherwise, or the one systemd passes (socket activation).\nClients: DOCKER_HOST=unix:///run/hako/docker.sock',
  async run(ctx, { values: v, positionals }) {
    if (positionals.length > 1) throw new HakoError('"hako system service" accepts at most 1 argument (the socket address)');
    const time = String(v.time);
    if (!/^\d+$/.test(time)) throw new HakoError(`invalid --time ${JSON.stringify(time)}: expected a number of seconds`);
    const { serve } = await import('../../../api/server.js');
    const { socketPathOf } = await import('../../../api/listen.js');
    const server = await serve({
      root: ctx.root,
      socket: positionals[0] === undefined ? undefined : socketPathOf(positionals[0]),
      idleSeconds: Number(time),
      log: printWarning,
    });
    const stop = () => void server.close();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await server.closed;
    return 0;
  },
};
export default command;
