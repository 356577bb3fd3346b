// A terminal hako relays itself (foreground run, exec -t) has ONLCR cleared, as runc's relay does:
// "\n" arrives as "\n", not "\r\n". A terminal given to a console socket is left as the kernel
// makes it (the engine decides). On the caller's own terminal, compared with runc's foreground run
// on a real pty in the same test (runc needs the caller's terminal for that).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HAKO, Harness, NO_RUNC, RUNC } from './harness.js';
import { ptyUnavailable, runOnPty } from '../../fixtures/pty.js';

const h = new Harness();
after(() => h.cleanup());

const SCRIPT = ['sh', '-c', 'echo one; echo two; test -t 1 && echo tty'];

describe('pty line ends', () => {
  it('a foreground run with a terminal gives "\\n"', () => {
    const r = h.run(SCRIPT, (s) => {
      s.process!.terminal = true;
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'one\ntwo\ntty\n');
  });

  it("on the caller's own terminal, what arrives is what runc's relay gives", (t) => {
    const noPty = ptyUnavailable();
    if (noPty) return t.skip(noPty);
    // runc makes the caller's terminal raw only after the container started: output before that
    // gets the caller's own ONLCR. A second's wait keeps the comparison to the relays themselves.
    const bundle = () =>
      h.bundle(['sh', '-c', `sleep 1; ${SCRIPT[2]}`], (s) => {
        s.process!.terminal = true;
      });
    const hako = runOnPty([HAKO, 'runtime', '--root', h.root, 'run', '--bundle', bundle(), h.id()]);
    assert.equal(hako.status, 0, hako.output);
    // The caller's terminal is raw while the relay runs but keeps its output processing, as runc's
    // (containerd/console's SetRaw keeps OPOST): its own ONLCR gives "\r\n" on the screen, where a
    // fully raw terminal would show a staircase.
    assert.equal(hako.output, 'one\r\ntwo\r\ntty\r\n');
    if (!RUNC) return t.diagnostic(NO_RUNC);
    const runc = runOnPty([RUNC, '--root', h.runcRoot(), 'run', '--bundle', bundle(), h.id('runc')]);
    assert.equal(runc.status, 0, runc.output);
    assert.equal(hako.output, runc.output);
  });
});
