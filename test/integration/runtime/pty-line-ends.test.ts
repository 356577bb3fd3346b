// A terminal hako relays itself (foreground run, exec -t) has ONLCR cleared, as runc's relay does:
// "\n" arrives as "\n", not "\r\n". A terminal given to a console socket is left as the kernel
// makes it (the engine decides).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('pty line ends', () => {
  it('a foreground run with a terminal gives "\\n"', () => {
    const r = h.run(['sh', '-c', 'echo one; echo two; test -t 1 && echo tty'], (s) => { s.process!.terminal = true; });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'one\ntwo\ntty\n');
  });
});
