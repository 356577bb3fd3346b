// A read-only mount with mounts beneath it (a read-only /dev above all): mounted writable, made
// read-only once its submounts and device nodes are in place, as runc does (each compared with
// runc in the same test).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertAsRunc, Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('read-only mounts with submounts', () => {
  it('a read-only /dev keeps its devices, /dev/pts and /dev/shm, as with runc', (t) => {
    const { hako: r, runc } = h.runBoth(
      [
        'sh',
        '-c',
        'touch /dev/x 2>&1; echo ok > /dev/null && echo null-ok; ls -d /dev/pts /dev/shm; echo y > /dev/shm/y && cat /dev/shm/y; grep " /dev " /proc/mounts | grep -o "ro,"',
      ],
      (s) => {
        const dev = s.mounts!.find((m) => m.destination === '/dev')!;
        dev.options = [...(dev.options ?? []), 'ro'];
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'touch: /dev/x: Read-only file system\nnull-ok\n/dev/pts\n/dev/shm\ny\nro,\n');
    assertAsRunc(t, r, runc);
  });

  it('a read-only tmpfs with a writable tmpfs inside it, as with runc', (t) => {
    const { hako: r, runc } = h.runBoth(['sh', '-c', 'touch /data/x 2>&1; touch /data/sub/x && echo sub-writable'], (s) => {
      s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid'] });
      s.mounts!.push({ destination: '/data/sub', type: 'tmpfs', source: 'tmpfs', options: [] });
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'touch: /data/x: Read-only file system\nsub-writable\n');
    assertAsRunc(t, r, runc);
  });
});
