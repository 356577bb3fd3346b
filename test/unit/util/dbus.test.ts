// The D-Bus wire format of src/util/dbus.ts against bytes the specification defines, and round trips
// of the types systemd's calls use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage, splitSignature } from '../../../src/util/dbus.js';

test('a method call encodes as the specification lays it out', () => {
  const b = encodeMessage(7, { type: 1, path: '/a', member: 'M', signature: 'su', body: ['hi', 5] });
  assert.equal(b.toString('latin1', 0, 4), 'l\x01\x00\x01');
  assert.equal(b.readUInt32LE(4), 12, 'body: length, "hi", NUL, one byte of padding to 4, then the u32');
  assert.equal(b.readUInt32LE(8), 7, 'serial');
  assert.deepEqual([...b.subarray(b.length - 12)], [2, 0, 0, 0, 0x68, 0x69, 0, 0, 5, 0, 0, 0]);
});

test('round trip of StartTransientUnit-shaped bodies: a(sv) with variants of t, b, s, au, a(ss), ay', () => {
  const props = [
    ['Slice', ['s', 'system.slice']],
    ['Delegate', ['b', true]],
    ['PIDs', ['au', [1234]]],
    ['MemoryMax', ['t', 0xffffffffffffffffn]],
    ['DeviceAllow', ['a(ss)', [['/dev/char/1:3', 'rwm']]]],
    ['AllowedCPUs', ['ay', [5]]],
  ];
  const b = encodeMessage(1, {
    type: 1,
    path: '/org/freedesktop/systemd1',
    member: 'StartTransientUnit',
    signature: 'ssa(sv)a(sa(sv))',
    body: ['x.scope', 'replace', props, []],
  });
  const m = decodeMessage(b);
  assert.equal(m.member, 'StartTransientUnit');
  assert.equal(m.path, '/org/freedesktop/systemd1');
  assert.deepEqual(m.body, ['x.scope', 'replace', props, []]);
});

test('signatures split into complete types; bad ones are refused', () => {
  assert.deepEqual(splitSignature('sa{sv}ua(sa(sv))'), ['s', 'a{sv}', 'u', 'a(sa(sv))']);
  assert.throws(() => splitSignature('a(s'), /bad signature/);
  assert.throws(() => splitSignature('z'), /bad signature/);
});

test('a truncated message is an error, not a crash', () => {
  const b = encodeMessage(1, { type: 1, path: '/a', member: 'M', signature: 's', body: ['hello'] });
  assert.throws(() => decodeMessage(b.subarray(0, b.length - 4)), /truncated/);
});
