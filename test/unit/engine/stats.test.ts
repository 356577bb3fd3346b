// stats' network figures: /proc/PID/net/dev summed over the container's interfaces, `lo` left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetDev, statsFields } from '../../../src/engine/stats.js';

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  999999      10    0    0    0     0          0         0   999999      10    0    0    0     0       0          0
  eth0:    1500      12    0    0    0     0          0         0      700       7    0    0    0     0       0          0
  eth1:     500       2    0    0    0     0          0         0      300       3    0    0    0     0       0          0
`;

test('parseNetDev sums every interface but lo', () => {
  assert.deepEqual(parseNetDev(NET_DEV), { rx: 2000, tx: 1000 });
  assert.deepEqual(parseNetDev(''), { rx: 0, tx: 0 });
  assert.deepEqual(parseNetDev('garbage\nmore\n  x: not numbers'), { rx: 0, tx: 0 });
});

test("statsFields gives docker's --format fields", () => {
  const f = statsFields({
    id: 'a'.repeat(64),
    name: 'web',
    cpuPercent: 12.345,
    memUsage: 1000,
    memLimit: 4000,
    pids: 3,
    netRx: 2000,
    netTx: 1000,
    blockRead: 0,
    blockWrite: 4096,
  });
  assert.equal(f.ID, 'a'.repeat(12));
  assert.equal(f.Container, f.ID);
  assert.equal(f.CPUPerc, '12.35%');
  assert.equal(f.MemPerc, '25.00%');
  assert.equal(f.NetIO, '2kB / 1kB');
  assert.equal(f.PIDs, '3');
  assert.equal(
    statsFields({ id: 'b'.repeat(64), name: 'x', cpuPercent: 0, memUsage: 0, pids: 0, netRx: 0, netTx: 0, blockRead: 0, blockWrite: 0 }, true).ID,
    'b'.repeat(64),
  );
});
