// `hako commit [-a AUTHOR] [-m MESSAGE] [-c CHANGE]... CONTAINER [REPOSITORY[:TAG]]`: a new image
// from the container's changes; prints its ID.
import { HakoError } from '../../util/errors.js';
import type { Command } from '../command.js';
import { engineOf, type EngineContext } from './common.js';
import { cgroupDelegated, isRootless } from '../../engine/rootless.js';

const command: Command<EngineContext> = {
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  flags: {
    author: { type: 'string', short: 'a', value: 'AUTHOR', help: 'the image author' },
    message: { type: 'string', short: 'm', value: 'MESSAGE', help: 'the history comment' },
    change: {
      type: 'string',
      short: 'c',
      multiple: true,
      value: 'INSTRUCTION',
      help: 'CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, WORKDIR, STOPSIGNAL or VOLUME',
    },
    pause: { type: 'boolean', short: 'p', default: true, help: 'freeze the container while its files are read (default true)' },
    'no-pause': { type: 'boolean', help: 'do not freeze it' },
  },
  async run(ctx, { values: v, positionals }) {
    if (positionals.length < 1 || positionals.length > 2) throw new HakoError('"hako commit" requires 1 or 2 arguments: CONTAINER [REPOSITORY[:TAG]]');
    const { commitContainer } = await import('../../engine/commit.js');
    const { pauseContainer, unpauseContainer } = await import('../../engine/lifecycle.js');
    const e = engineOf(ctx);
    const id = e.store.resolve(positionals[0]);
    const st = await e.refresh(id);
    // docker pauses a running container so that its files hold still while they are read.
    // A rootless container without a cgroup cannot be frozen: read as it runs (podman's default).
    const freeze = Boolean(v.pause) && !v['no-pause'] && st.status === 'running' && !st.paused && (!isRootless() || cgroupDelegated());
    if (freeze) await pauseContainer(e, id);
    try {
      const rec = await commitContainer(e, id, {
        reference: positionals[1],
        author: v.author as string | undefined,
        message: v.message as string | undefined,
        changes: v.change as string[] | undefined,
      });
      process.stdout.write(`${rec.config}\n`);
    } finally {
      if (freeze) await unpauseContainer(e, id);
    }
    return 0;
  },
};
export default command;
