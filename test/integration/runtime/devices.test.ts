// linux.devices created in the container's /dev.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('devices', () => {
  it('creates linux.devices', () => {
    const r = h.run(['ls', '-l', '/dev/mynull', '/dev/myblock'], (s) => {
      s.linux!.devices = [
        { type: 'c', path: '/dev/mynull', major: 1, minor: 3, fileMode: 0o640, uid: 7, gid: 8 },
        { type: 'b', path: '/dev/myblock', major: 7, minor: 0, fileMode: 0o600 },
      ];
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^crw-r-----\s+1 7\s+8\s+1,\s+3 .*\/dev\/mynull$/m);
    assert.match(r.stdout, /^brw-------\s+1 root\s+root\s+7,\s+0 .*\/dev\/myblock$/m);
  });
});
