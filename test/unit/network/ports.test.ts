// Is a host port free, and who holds it: a port this process listens on is not bindable, and /proc
// names this process as its holder; a closed one is free again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { checkHostPort, portBindable, portHolder } from '../../../src/network/driver/ports.js';

function listen(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

test('a listening port is taken, named by pid and command; closed, it is free', async () => {
  const s = await listen();
  const port = (s.address() as net.AddressInfo).port;
  try {
    assert.equal(await portBindable('127.0.0.1', port, 'tcp'), false);
    assert.equal(await portBindable('', port, 'tcp'), false, '0.0.0.0 overlaps 127.0.0.1');
    const comm = (await import('node:fs')).readFileSync('/proc/self/comm', 'utf8').trim();
    assert.equal(portHolder(port, 'tcp'), `pid ${process.pid} (${comm})`);
    await assert.rejects(
      checkHostPort('127.0.0.1', port, 'tcp'),
      new RegExp(`^HakoError: --publish 127\\.0\\.0\\.1:${port}/tcp: host port already in use by pid ${process.pid} \\(${comm}\\)$`),
    );
  } finally {
    await new Promise((r) => s.close(r));
  }
  assert.equal(await portBindable('127.0.0.1', port, 'tcp'), true);
  assert.equal(portHolder(port, 'tcp'), undefined);
  await checkHostPort('127.0.0.1', port, 'tcp');
});
