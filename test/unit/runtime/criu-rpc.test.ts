// CRIU's RPC without criu: the messages (rpc.ts, protobufjs over criu's own rpc.proto), the relay
// (hako-init criu-swrk, native/criu.c: the SOCK_SEQPACKET socketpair Node cannot make) and one
// conversation with notifications (session.ts), against a stand-in `criu swrk FD` in Python that
// answers with messages the test encoded. The real criu runs in test/integration/checkpoint/.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { RPC_PROTO } from '../../../src/runtime/criu/rpc-proto.js';
import { decodeResponse, encodeRequest } from '../../../src/runtime/criu/rpc.js';
import { startSession } from '../../../src/runtime/criu/session.js';
import { startCriuSwrk } from '../../../src/native/criu-swrk.js';
import { dumpExtMounts, restoreExtMounts } from '../../../src/runtime/criu/mounts.js';
import { defaultSpec } from '../../../src/oci/default.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const root = protobuf.parse(RPC_PROTO, { keepCase: true }).root;
const Req = root.lookupType('criu_req');
const Resp = root.lookupType('criu_resp');
const resp = (o: object) => Buffer.from(Resp.encode(Resp.fromObject(o)).finish()).toString('hex');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-criu-rpc-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// criu swrk FD: receives the request (written to $LOG as hex), then sends each hex message of
// $ANSWERS; after a NOTIFY (type 6) it waits for the acknowledgement (logged too).
const fakeCriu = path.join(dir, 'criu');
fs.writeFileSync(
  fakeCriu,
  `#!/usr/bin/python3
import os, socket, sys
s = socket.socket(fileno=int(sys.argv[2]))
log = open(os.environ['LOG'], 'w')
log.write(s.recv(1 << 20).hex() + '\\n'); log.flush()
for a in filter(None, os.environ.get('ANSWERS', '').split(',')):
    m = bytes.fromhex(a)
    s.send(m)
    if m[:2] == b'\\x08\\x06':
        log.write(s.recv(1 << 20).hex() + '\\n'); log.flush()
s.recv(16)
sys.exit(int(os.environ.get('STATUS', '0')))
`,
  { mode: 0o755 },
);

function logged(file: string): protobuf.Message[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((h) => Req.decode(Buffer.from(h, 'hex')));
}

describe('criu RPC', () => {
  it('rpc-proto.ts is rpc.proto, as the build writes it', () => {
    assert.equal(RPC_PROTO, fs.readFileSync(path.join(REPO, 'src/runtime/criu/rpc.proto'), 'utf8'));
  });

  it('requests encode as criu_req with the .proto field names and enums', () => {
    const bytes = encodeRequest({
      type: 'DUMP',
      opts: { images_dir_fd: 4, pid: 42, manage_cgroups_mode: 'SOFT', ext_mnt: [{ key: '/out', val: '/out' }], external: ['net[1]:extRootNetNS'] },
    });
    const o = Req.toObject(Req.decode(bytes), { enums: String }) as { type: string; opts: Record<string, unknown> };
    assert.equal(o.type, 'DUMP');
    assert.equal(o.opts.pid, 42);
    assert.equal(o.opts.manage_cgroups_mode, 'SOFT');
    assert.deepEqual(o.opts.ext_mnt, [{ key: '/out', val: '/out' }]);
    assert.deepEqual(decodeResponse(Buffer.from(resp({ type: 'RESTORE', success: true, restore: { pid: 7 } }), 'hex')).restore, { pid: 7 });
  });

  it('hako-init criu-swrk relays whole messages both ways over a SOCK_SEQPACKET pair', async () => {
    const log = path.join(dir, 'relay.log');
    process.env.LOG = log;
    process.env.ANSWERS = resp({ type: 'DUMP', success: true });
    try {
      const swrk = startCriuSwrk({ criu: fakeCriu });
      swrk.send(encodeRequest({ type: 'VERSION' }));
      const answer = await swrk.receive();
      assert.equal(decodeResponse(answer!).type, 'DUMP');
      swrk.end();
      assert.deepEqual(await swrk.exited, { code: 0, stderr: '' });
      assert.equal(logged(log).length, 1);
    } finally {
      delete process.env.ANSWERS;
    }
  });

  it('a session answers notifications after its callback, then returns the result', async () => {
    const log = path.join(dir, 'session.log');
    process.env.LOG = log;
    process.env.ANSWERS = [
      resp({ type: 'NOTIFY', success: true, notify: { script: 'setup-namespaces', pid: 99 } }),
      resp({ type: 'RESTORE', success: true, restore: { pid: 99 } }),
    ].join(',');
    const seen: string[] = [];
    try {
      const { swrk, result } = startSession(
        { type: 'RESTORE', opts: { images_dir_fd: 4 } },
        { criu: fakeCriu, log: path.join(dir, 'none.log'), onNotify: (script, pid) => void seen.push(`${script} ${pid}`) },
      );
      assert.equal((await result).restore?.pid, 99);
      swrk.end();
      assert.equal((await swrk.exited).code, 0);
      assert.deepEqual(seen, ['setup-namespaces 99']);
      const [, ack] = logged(log);
      assert.equal(Req.toObject(ack, { enums: String }).notify_success, true);
    } finally {
      delete process.env.ANSWERS;
    }
  });

  it("criu's failure is one line with its message; a criu that dies says so", async () => {
    process.env.LOG = path.join(dir, 'fail.log');
    process.env.ANSWERS = resp({ type: 'DUMP', success: false, cr_errno: 2, cr_errmsg: 'No such process' });
    try {
      const { swrk, result } = startSession({ type: 'DUMP', opts: { images_dir_fd: 4 } }, { criu: fakeCriu, log: path.join(dir, 'none.log') });
      await assert.rejects(result, { message: 'criu dump failed (errno 2): No such process' });
      await swrk.exited;
      process.env.ANSWERS = '';
      process.env.STATUS = '3';
      const dead = startSession({ type: 'DUMP', opts: { images_dir_fd: 4 } }, { criu: fakeCriu, log: path.join(dir, 'none.log') });
      dead.swrk.end();
      await assert.rejects(dead.result, /^Error: criu dump: criu exited \(status 3\) without an answer$|criu exited \(status 3\)/);
      const missing = startSession({ type: 'DUMP', opts: { images_dir_fd: 4 } }, { criu: path.join(dir, 'no-criu'), log: path.join(dir, 'none.log') });
      await assert.rejects(missing.result, /criu-swrk: exec .*no-criu: No such file or directory/);
    } finally {
      delete process.env.ANSWERS;
      delete process.env.STATUS;
    }
  });
});

describe('criu external mounts', () => {
  const spec = defaultSpec();
  spec.mounts!.push({ destination: '/data/', type: 'bind', source: '/srv/data', options: ['rbind'] });
  spec.mounts!.push({ destination: '/sys/fs/cgroup', type: 'cgroup2', source: 'cgroup' });
  spec.linux!.namespaces = spec.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
  const cgroups = { version: 2 as const, hostDirs: { '': '/sys/fs/cgroup/hako/c1' } };

  it('dump names bind mounts, devices, the cgroup bind and masked files by their place', () => {
    const m = new Map(dumpExtMounts(spec, cgroups, ['/proc/kcore']).map((e) => [e.key, e.val]));
    assert.equal(m.get('/data'), '/data');
    assert.equal(m.get('/sys/fs/cgroup'), '/sys/fs/cgroup');
    assert.equal(m.get('/dev/null'), '/dev/null');
    assert.equal(m.get('/proc/kcore'), '/dev/null');
  });

  it("restore binds each from the bundle's host path", () => {
    const m = new Map(restoreExtMounts(spec, cgroups).map((e) => [e.key, e.val]));
    assert.equal(m.get('/data'), '/srv/data');
    assert.equal(m.get('/sys/fs/cgroup'), '/sys/fs/cgroup/hako/c1');
    assert.equal(m.get('/dev/urandom'), '/dev/urandom');
  });
});
