// A built image is an ordinary OCI image of the store: `save` writes it, `load` into another root
// runs it, and `push` to a real registry (Debian's docker-registry) then `pull` into a third root
// runs it too.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { engineSkip, useEngineEnv, EngineEnv } from '../engine/harness.js';
import { REGISTRY_BIN, startRegistry } from '../../fixtures/registry.js';
import { ContentStore } from '../../../src/storage/store/index.js';
import { push } from '../../../src/image/push.js';
import { contextDir } from './helpers.js';

let env: EngineEnv;
useEngineEnv(engineSkip, (e) => {
  env = e;
});
const cleanups: Array<() => unknown> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const DOCKERFILE = `FROM hako.local/busybox AS build
RUN echo built > /artifact
FROM hako.local/busybox
COPY --from=build /artifact /artifact
CMD ["cat", "/artifact"]
`;

function other(): EngineEnv {
  const e = new EngineEnv();
  cleanups.push(() => assert.deepEqual(e.cleanup(), []));
  return e;
}

describe('a built image in save, load, push and pull', { skip: engineSkip }, () => {
  it('is saved, loaded into another store and run there', () => {
    const dir = contextDir({ Dockerfile: DOCKERFILE });
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    env.ok(['build', '-t', 'exported:1', dir]);
    const archive = path.join(dir, 'image.tar');
    env.ok(['save', '-o', archive, 'exported:1']);
    const e2 = other();
    e2.ok(['load', '-i', archive]);
    assert.equal(e2.ok(['run', '--rm', '--network', 'none', 'exported:1']), 'built\n');
  });

  it('is pushed to a registry and pulled from it into another store', {
    skip: fs.existsSync(REGISTRY_BIN) ? false : `needs ${REGISTRY_BIN} (Debian docker-registry)`,
  }, async () => {
    const registry = await startRegistry();
    cleanups.push(() => registry.stop());
    const dir = contextDir({ Dockerfile: DOCKERFILE });
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const ref = `${registry.host}/built/app:1`;
    env.ok(['build', '-t', ref, dir]);
    await push(ref, { store: new ContentStore(env.root) });
    const e3 = other();
    e3.ok(['pull', ref]);
    assert.equal(e3.ok(['run', '--rm', '--network', 'none', ref]), 'built\n');
  });
});
