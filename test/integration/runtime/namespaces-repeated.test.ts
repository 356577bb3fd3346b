// A namespace listed twice with the same meaning is taken, as runc 1.1 takes it; two entries of
// one type that disagree are refused, naming both.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

describe('repeated namespace entries', () => {
  it('a repeated identical entry runs the container', () => {
    const r = h.run(['sh', '-c', 'echo $$'], (s) => { s.linux!.namespaces!.push({ type: 'pid' }, { type: 'uts' }); });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1\n');
  });

  it('entries of one type with different paths are refused', () => {
    const r = h.run(['true'], (s) => { s.linux!.namespaces!.push({ type: 'network', path: '/proc/1/ns/net' }); });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /linux\.namespaces\[\d\]\.type: namespace type "network" repeated with a different path \(also linux\.namespaces\[\d\]\)/);
  });
});
