// The OCI console socket: the pty master sent over it, a controlling terminal of the right size.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness } from './harness.js';
import { startConsoleReceiver } from '../../fixtures/console-receiver.js';

const h = new Harness();
after(() => h.cleanup());

describe('console socket (the OCI protocol)', () => {
  it('sends the pty master over the socket; the process has a controlling terminal of its size', async () => {
    const sock = path.join(h.root, 'console.sock');
    const out = path.join(h.root, 'console.out');
    const { done } = await startConsoleReceiver(sock, out);
    const id = h.id();
    const bundle = h.bundle(['sh', '-c', 'tty; stty size'], (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 33, width: 101 };
    });
    const r = h.hakoDetached(['run', '--detach', '--console-socket', sock, '--bundle', bundle, id]);
    assert.equal(r.status, 0, r.stdout);
    await done;
    const [name, ...rest] = fs.readFileSync(out, 'utf8').split('\n');
    assert.match(name, /^\/dev\/pts\/\d+$/);
    assert.match(rest.join('\n'), /\/dev\/pts\/0\r\n33 101\r\n/);
  });
});
