// A plain-HTTP Docker API client run AS the test user by api.test.ts (node api-client.js SOCKET):
// only node:http, so it needs nothing but the user's own rights on the socket. It walks a
// container through create, start, wait, logs, a file out and a file in (the archive endpoints),
// inspect and delete, and prints what it saw as one JSON object.
import http from 'node:http';

const socket = process.argv[2]!;

function call(method: string, path: string, body?: unknown, raw?: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const data = raw ?? (body === undefined ? undefined : Buffer.from(JSON.stringify(body)));
    const headers: Record<string, string> = data ? { 'Content-Type': raw ? 'application/x-tar' : 'application/json' } : {};
    const req = http.request({ socketPath: socket, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The payloads of docker's multiplexed log stream (8-byte headers), joined. */
function demux(b: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= b.length; ) {
    const n = b.readUInt32BE(i + 4);
    out += b.subarray(i + 8, i + 8 + n).toString();
    i += 8 + n;
  }
  return out;
}

/** A tar with one small file (ustar header by hand: the client must need nothing installed). */
function tarOf(name: string, content: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const body = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  body.write(content);
  return Buffer.concat([h, body, Buffer.alloc(1024)]);
}

const seen: Record<string, unknown> = {};
seen.ping = (await call('GET', '/_ping')).body.toString();
const script = 'echo x > /tmp/s && chown 1000 /tmp/s && chmod 600 /tmp/s && id -u && sleep 2';
const created = await call('POST', '/containers/create?name=api1', {
  Image: 'hako.local/busybox',
  Cmd: ['sh', '-c', script],
  HostConfig: { NetworkMode: 'none' },
});
seen.create = created.status;
seen.start = (await call('POST', '/containers/api1/start')).status;
seen.put = (await call('PUT', '/containers/api1/archive?path=/tmp', undefined, tarOf('in.txt', 'from-api\n'))).status;
const out = await call('GET', '/containers/api1/archive?path=/tmp/in.txt');
seen.get = { status: out.status, hasContent: out.body.includes('from-api') };
seen.wait = JSON.parse((await call('POST', '/containers/api1/wait')).body.toString());
seen.logs = demux((await call('GET', '/containers/api1/logs?stdout=1&stderr=1')).body);
const secret = await call('GET', '/containers/api1/archive?path=/tmp/s');
seen.secret = { status: secret.status, hasContent: secret.body.includes('x\n') };
seen.state = JSON.parse((await call('GET', '/containers/api1/json')).body.toString()).State.Status;
seen.delete = (await call('DELETE', '/containers/api1')).status;
seen.list = JSON.parse((await call('GET', '/containers/json?all=1')).body.toString()).length;
console.log(JSON.stringify(seen));
