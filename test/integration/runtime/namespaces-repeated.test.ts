// A namespace type listed twice is refused, naming both entries, as runc 1.1.5 refuses it
// ("malformed spec file: duplicated ns"), even when both entries say the same thing. Compared with
// runc in the same test.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertAsRunc, Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('repeated namespace entries', () => {
  it('a repeated identical entry is refused, as runc refuses it', (t) => {
    const { hako: r, runc } = h.runBoth(['true'], (s) => {
      s.linux!.namespaces!.push({ type: 'uts' });
    });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^hako: config\.json: linux\.namespaces\[\d\]\.type: duplicate namespace type "uts" \(also linux\.namespaces\[\d\]\), as runc refuses it\n$/,
    );
    assertAsRunc(t, r, runc, { refused: true });
  });

  it('entries of one type with different paths are refused, as runc refuses them', (t) => {
    const { hako: r, runc } = h.runBoth(['true'], (s) => {
      s.linux!.namespaces!.push({ type: 'network', path: '/proc/1/ns/net' });
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /linux\.namespaces\[\d\]\.type: duplicate namespace type "network" \(also linux\.namespaces\[\d\]\)/);
    assertAsRunc(t, r, runc, { refused: true });
  });

  it('one entry per type runs, as with runc', (t) => {
    const { hako: r, runc } = h.runBoth(['sh', '-c', 'echo $$']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1\n');
    assertAsRunc(t, r, runc);
  });
});
