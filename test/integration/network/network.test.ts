// Real containers (hako runtime run -d, busybox, own network namespace) on a real CNI test network (--driver cni):
// bridge hkt<random>, subnet 10.250.<random>.0/24, config and IPAM state in temp dirs. Traffic goes
// only between these namespaces and to 127.0.0.1. Everything is removed in after(), also on failure.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { Harness } from '../runtime/harness.js';
import { NetworkStore, readHostRoutes } from '../../../src/network/networks.js';
import { attach, detach, cleanupStale, readRecord, type Attachment } from '../../../src/network/attach.js';
import { CniExecutor } from '../../../src/network/cni.js';
import { bridgeExists, deleteBridge } from '../../../src/network/bridge.js';
import { removeMasqRules } from '../../../src/network/masq.js';
import { overlaps, parseCidr } from '../../../src/network/ipnet.js';
import { hostsFile } from '../../../src/network/files.js';
import { freePort } from '../../fixtures/ports.js';

const h = new Harness();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-net-int-'));
const store = new NetworkStore({ configDir: path.join(tmp, 'conf'), ipamDir: path.join(tmp, 'ipam') });
const executor = new CniExecutor();
const BRIDGE = `hkt${randomBytes(4).toString('hex')}`;
const NET = `hkt-${process.pid}`;
const SUBNET = pickSubnet();
const started: { id: string; record: string }[] = [];

function pickSubnet(): string {
  const routes = readHostRoutes();
  for (let i = 0; i < 50; i++) {
    const s = `10.250.${1 + Math.floor(Math.random() * 250)}.0/24`;
    if (!routes.some((r) => overlaps(r.cidr, parseCidr(s)))) return s;
  }
  throw new Error('no free 10.250.x.0/24 for the test network');
}

/** Starts a detached busybox container with its own netns; returns id, netns path and record path. */
function startContainer(args: string[], prepare?: (rootfs: string) => void): { id: string; netns: string; record: string } {
  const bundle = h.bundle(args, (s) => {
    s.root!.readonly = false;
    // busybox ping needs a raw socket.
    for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_NET_RAW');
  });
  prepare?.(path.join(bundle, 'rootfs'));
  const id = h.id('net');
  const r = h.hakoDetached(['run', '-d', '--bundle', bundle, id]);
  assert.equal(r.status, 0, r.stderr);
  const pid = JSON.parse(h.hako(['state', id]).stdout).pid as number;
  const record = path.join(tmp, `${id}.json`);
  started.push({ id, record });
  return { id, netns: `/proc/${pid}/ns/net`, record };
}

function exec(id: string, ...cmd: string[]): { status: number | null; out: string } {
  const r = h.hako(['exec', id, ...cmd]);
  return { status: r.status, out: r.stdout + r.stderr };
}

/** iptables-save lines that mention this network, this subnet, or the given container ids. */
function ourRules(ids: string[]): string[] {
  const prefix = SUBNET.split('.').slice(0, 3).join('.') + '.';
  return execFileSync('iptables-save', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => !l.startsWith('#') && (l.includes(prefix) || l.includes(`"${NET}"`) || ids.some((id) => l.includes(id))));
}

function leases(): string[] {
  try {
    return fs.readdirSync(path.join(store.ipamDir, NET)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f));
  } catch {
    return [];
  }
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/index.html', timeout: 3000 }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => {
          body += d;
        })
        .on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
  });
}

before(() => {
  store.create(NET, { subnet: SUBNET, bridge: BRIDGE, driver: 'cni' });
});

after(async () => {
  for (const c of started) {
    try {
      await cleanupStale(c.record, { executor });
    } catch {
      /* reported by the tests */
    }
    removeMasqRules(NET, c.id);
  }
  h.cleanup();
  try {
    await store.remove(NET, { force: true });
  } catch {
    /* already removed */
  }
  if (bridgeExists(BRIDGE)) await deleteBridge(BRIDGE, executor).catch(() => undefined);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('network attach', () => {
  let a: { id: string; netns: string; record: string };
  let b: { id: string; netns: string; record: string };
  let atA: Attachment[];
  let atB: Attachment[];

  it('gives the container an address on eth0, a default route via the gateway and lo up', async () => {
    a = startContainer(['sleep', '600']);
    atA = await attach(a.id, a.netns, [NET], { store, executor, recordPath: a.record });
    assert.equal(atA.length, 1);
    const [att] = atA;
    assert.equal(att.ifName, 'eth0');
    assert.ok(parseCidr(SUBNET) && overlaps(parseCidr(att.addresses[0].replace(/\.\d+\//, '.0/')), parseCidr(SUBNET)), att.addresses[0]);
    assert.equal(att.gateway, SUBNET.replace('.0/24', '.1'));
    assert.match(att.mac ?? '', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    const addr = exec(a.id, 'ip', 'addr', 'show', 'eth0');
    assert.equal(addr.status, 0, addr.out);
    assert.match(addr.out, new RegExp(`inet ${att.addresses[0].replace(/\./g, '\\.')} `));
    assert.match(addr.out, new RegExp(`link/ether ${att.mac}`));
    const routes = exec(a.id, 'cat', '/proc/net/route')
      .out.split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    const gwHex = Buffer.from(att.gateway!.split('.').map(Number)).readUInt32LE(0).toString(16).toUpperCase().padStart(8, '0');
    assert.ok(
      routes.some((f) => f[0] === 'eth0' && f[1] === '00000000' && f[2] === gwHex),
      `no default route via ${att.gateway}`,
    );
    assert.match(exec(a.id, 'ip', 'link', 'show', 'lo').out, /<LOOPBACK,UP/);
    assert.ok(bridgeExists(BRIDGE));
    assert.ok(fs.existsSync(`/sys/class/net/${att.hostInterface}`), `host veth ${att.hostInterface}`);
    assert.deepEqual(leases(), [att.ips[0]]);
    assert.deepEqual(store.users(NET), [{ containerId: a.id, ifName: 'eth0', ip: att.ips[0] }]);
    assert.equal(readRecord(a.record)?.entries.length, 2);
  });

  it('lets two containers on the network ping each other by IP', async () => {
    b = startContainer(['sleep', '600']);
    atB = await attach(b.id, b.netns, [NET], { store, executor, recordPath: b.record });
    assert.notEqual(atB[0].ips[0], atA[0].ips[0]);
    const ab = exec(a.id, 'ping', '-c1', '-W2', atB[0].ips[0]);
    assert.equal(ab.status, 0, ab.out);
    const ba = exec(b.id, 'ping', '-c1', '-W2', atA[0].ips[0]);
    assert.equal(ba.status, 0, ba.out);
    // Hosts-file name resolution between containers: busybox ping resolves through /etc/hosts.
    fs.writeFileSync(path.join(tmp, 'hosts-b'), hostsFile({ hostname: 'b', ips: atB[0].ips, peers: [{ ip: atA[0].ips[0], names: ['peer-a'] }] }));
    const bRootfs = path.join(JSON.parse(h.hako(['state', b.id]).stdout).bundle as string, 'rootfs');
    fs.copyFileSync(path.join(tmp, 'hosts-b'), path.join(bRootfs, 'etc/hosts'));
    const byName = exec(b.id, 'ping', '-c1', '-W2', 'peer-a');
    assert.equal(byName.status, 0, byName.out);
  });

  it('refuses to remove the network while containers use it', async () => {
    await assert.rejects(store.remove(NET), new RegExp(`network "${NET}" is in use by ${a.id}, ${b.id}|network "${NET}" is in use by ${b.id}, ${a.id}`));
  });

  it("detach removes the veth, the lease and the container's iptables rules", async () => {
    const rulesWithA = ourRules([a.id]);
    assert.ok(
      rulesWithA.some((l) => l.includes(atA[0].ips[0])),
      'attach made rules for the container',
    );
    await detach(a.id, a.netns, [NET], { store, executor, recordPath: a.record });
    assert.ok(!fs.existsSync(`/sys/class/net/${atA[0].hostInterface}`), 'host veth removed');
    assert.deepEqual(leases(), [atB[0].ips[0]]);
    assert.deepEqual(
      ourRules([a.id]).filter((l) => l.includes(atA[0].ips[0]) || l.includes(a.id)),
      [],
    );
    assert.equal(fs.existsSync(a.record), false);
    assert.doesNotMatch(exec(a.id, 'cat', '/proc/net/dev').out, /eth0/);
  });

  it('cleanupStale after the container died releases the lease and its rules (namespace gone)', async () => {
    assert.equal(h.hako(['kill', b.id, 'KILL']).status, 0);
    const end = Date.now() + 10_000;
    while (fs.existsSync(b.netns) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!fs.existsSync(b.netns), 'namespace gone');
    assert.equal(await cleanupStale(b.record, { executor }), true);
    assert.deepEqual(leases(), []);
    assert.deepEqual(
      ourRules([a.id, b.id]).filter((l) => l.includes(atB[0].ips[0]) || l.includes(b.id)),
      [],
    );
    assert.ok(!fs.existsSync(`/sys/class/net/${atB[0].hostInterface}`));
    assert.equal(fs.existsSync(b.record), false);
    assert.equal(await cleanupStale(b.record, { executor }), false);
  });
});

describe('port mapping', () => {
  it('publishes 127.0.0.1:<port> to httpd on port 80 in the container', async () => {
    const marker = `hello from ${randomBytes(6).toString('hex')}`;
    const c = startContainer(['httpd', '-f', '-p', '80', '-h', '/www'], (rootfs) => {
      fs.mkdirSync(path.join(rootfs, 'www'));
      fs.writeFileSync(path.join(rootfs, 'www/index.html'), marker);
    });
    const port = await freePort();
    const [att] = await attach(c.id, c.netns, [NET], {
      store,
      executor,
      recordPath: c.record,
      portMappings: [{ hostIP: '127.0.0.1', hostPort: port, containerPort: 80, protocol: 'tcp' }],
    });
    assert.ok(
      ourRules([c.id]).some((l) => l.includes(`--dport ${port}`) && l.includes(`${att.ips[0]}:80`)),
      'DNAT rule',
    );
    let body = '';
    let lastErr: unknown;
    for (let i = 0; i < 20 && !body; i++) {
      // httpd may still be starting: bounded retries
      try {
        body = await get(port);
      } catch (e) {
        lastErr = e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal(body, marker, String(lastErr));
    await detach(c.id, c.netns, [NET], { store, executor, recordPath: c.record });
    assert.deepEqual(
      ourRules([c.id]).filter((l) => l.includes(`--dport ${port}`) || l.includes(c.id)),
      [],
    );
    await assert.rejects(get(port));
  });
});

describe('network none and failures', () => {
  it('--network none leaves only lo, which is up', async () => {
    const c = startContainer(['sleep', '600']);
    assert.deepEqual(await attach(c.id, c.netns, ['none'], { store, executor, recordPath: c.record }), []);
    const devs = exec(c.id, 'cat', '/proc/net/dev')
      .out.split('\n')
      .slice(2)
      .map((l) => l.trim().split(':')[0])
      .filter(Boolean);
    assert.deepEqual(devs, ['lo']);
    assert.match(exec(c.id, 'ip', 'link', 'show', 'lo').out, /<LOOPBACK,UP/);
    await detach(c.id, c.netns, ['none'], { store, executor, recordPath: c.record });
    assert.equal(fs.existsSync(c.record), false);
  });

  it('a failing plugin rolls the attachment back and names plugin and network', async () => {
    const broken = `${NET}-broken`;
    // Every real plugin (bridge, portmap, firewall…) succeeds first: their rollback needs the partial
    // result, or the firewall plugin's rules for the address stay behind.
    const list = { ...store.inspect(NET).conflist, name: broken, plugins: [...store.inspect(NET).conflist.plugins, { type: 'hako-no-such-plugin' }] };
    const rulesBefore = ourRules([]);
    fs.writeFileSync(path.join(store.configDir, `${broken}.conflist`), JSON.stringify(list));
    try {
      const c = startContainer(['sleep', '600']);
      await assert.rejects(
        attach(c.id, c.netns, [broken], { store, executor, recordPath: c.record }),
        new RegExp(`^CniError: network "${broken}": CNI plugin hako-no-such-plugin ADD failed: CNI plugin "hako-no-such-plugin" not found`),
      );
      assert.doesNotMatch(exec(c.id, 'cat', '/proc/net/dev').out, /eth0/);
      assert.deepEqual(
        fs.readdirSync(path.join(store.ipamDir, broken)).filter((f) => /^\d/.test(f)),
        [],
      );
      assert.deepEqual(
        ourRules([c.id]).filter((l) => l.includes(c.id)),
        [],
      );
      assert.deepEqual(ourRules([]), rulesBefore, 'no rule for the rolled-back address is left');
      assert.deepEqual(fs.readdirSync(`/sys/class/net/${BRIDGE}/brif`), []);
      // The missing plugin's DEL failed too, so the record stays for a later cleanupStale.
      assert.deepEqual(
        readRecord(c.record)?.entries.map((e) => e.network),
        ['hako-loopback', broken],
      );
      await assert.rejects(cleanupStale(c.record, { executor }), /hako-no-such-plugin DEL failed/);
      fs.rmSync(c.record);
    } finally {
      fs.rmSync(path.join(store.configDir, `${broken}.conflist`), { force: true });
      fs.rmSync(path.join(store.ipamDir, broken), { recursive: true, force: true });
    }
  });

  it('removing the network deletes its bridge, its config and its IPAM state', async () => {
    assert.ok(bridgeExists(BRIDGE));
    await store.remove(NET);
    assert.ok(!fs.existsSync(`/sys/class/net/${BRIDGE}`), 'bridge deleted');
    assert.ok(!fs.existsSync(path.join(store.configDir, `${NET}.conflist`)));
    assert.ok(!fs.existsSync(path.join(store.ipamDir, NET)));
    assert.ok(!readHostRoutes().some((r) => r.dev === BRIDGE));
  });
});
