// Engine networking end to end, as root: `hako network …`, -p, peers by name, --network none, the
// default network, crash cleanup and rollback, then nothing left (veths, pins, mounts, leases,
// iptables rules). Test networks get random names, bridges and /24s inside 10.250.0.0/16; traffic
// goes only to 127.0.0.1 or into namespaces these tests made.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { EngineEnv, IMAGE, networkSkip } from './harness.js';
import { freePort } from '../../fixtures/ports.js';

const skip = networkSkip;
const RUN_DIR = '/run/hako/networks';

let env: EngineEnv;
const tag = crypto.randomBytes(3).toString('hex');
const octets = new Set<number>();
/** A fresh test network: unique name and bridge, a random /24 of 10.250.0.0/16. */
function testNet(): { name: string; bridge: string; subnet: string; prefix: string } {
  let x: number;
  do x = 1 + crypto.randomInt(250);
  while (octets.has(x));
  octets.add(x);
  const n = octets.size;
  return { name: `hkt-${tag}-${n}`, bridge: `hkt${tag}${n}`, subnet: `10.250.${x}.0/24`, prefix: `10.250.${x}.` };
}

const links = () => new Set(fs.readdirSync('/sys/class/net'));
/** Host-wide leases (the bridge driver's plan, /run/hako/networks/<bridge>.json) held by containers of this test. */
function hostLeases(bridge: string): string[] {
  try {
    const plan = JSON.parse(fs.readFileSync(path.join(RUN_DIR, `${bridge}.json`), 'utf8'));
    return Object.keys(plan.leases)
      .filter((ip) => fs.existsSync(plan.leases[ip].netns))
      .sort();
  } catch {
    return [];
  }
}
/** The nft table's lines (or iptables' HAKO chains) that mention `needle`. */
function firewallLines(needle: string): string[] {
  const nft = spawnSync('nft', ['list', 'table', 'ip', 'hako'], { encoding: 'utf8' });
  const text = nft.status === 0 ? nft.stdout : spawnSync('iptables-save', { encoding: 'utf8' }).stdout;
  return text.split('\n').filter((l) => l.includes(needle));
}
/** The kernel removes a namespace's veth asynchronously once the namespace is unpinned. */
async function linksSettle(before: Set<string>): Promise<string[]> {
  let extra: string[] = [];
  for (let i = 0; i < 100; i++) {
    extra = [...links()].filter((l) => !before.has(l) && l.startsWith('veth'));
    if (extra.length === 0) return [];
    await new Promise((r) => setTimeout(r, 50));
  }
  return extra;
}
const iptables = () =>
  spawnSync('iptables-save', { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l && !l.startsWith('#'));
let linksBefore: Set<string>;
let iptablesBefore: Set<string>;
let defaultBridgeExisted = false;
const containerIds = new Set<string>();

before(() => {
  if (skip) return;
  linksBefore = links();
  iptablesBefore = new Set(iptables().map(stripCounters));
  defaultBridgeExisted = fs.existsSync('/sys/class/net/hako0');
  env = new EngineEnv();
});

after(async () => {
  if (!env) return;
  const ids = env.hako(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean);
  ids.forEach((id) => containerIds.add(id));
  if (ids.length) env.hako(['rm', '-f', ...ids]);
  for (const n of env.hako(['network', 'ls', '-q']).stdout.split('\n')) {
    if (n.startsWith(`hkt-${tag}-`)) env.hako(['network', 'rm', n]);
  }
  if (!defaultBridgeExisted) env.hako(['network', 'rm', 'bridge']);
  const left: string[] = [];
  const netnsDir = path.join(env.root, 'netns');
  if (fs.existsSync(netnsDir) && fs.readdirSync(netnsDir).length) left.push(`pins: ${fs.readdirSync(netnsDir).join(',')}`);
  for (const f of fs.existsSync(RUN_DIR) ? fs.readdirSync(RUN_DIR) : []) {
    if (!f.endsWith('.json') || f === 'ports.json') continue;
    const plan = JSON.parse(fs.readFileSync(path.join(RUN_DIR, f), 'utf8'));
    for (const [ip, l] of Object.entries(plan.leases as Record<string, { container: string }>))
      if (containerIds.has(l.container)) left.push(`lease: ${f} ${ip}`);
  }
  await linksSettle(linksBefore);
  for (const l of links()) if (!linksBefore.has(l)) left.push(`link: ${l}`);
  for (const r of firewallLines('10.250.')) left.push(`firewall: ${r.trim()}`);
  for (const r of iptables()) {
    if (iptablesBefore.has(stripCounters(r))) continue;
    if ([...containerIds].some((id) => r.includes(id)) || r.includes('10.250.')) left.push(`iptables: ${r}`);
  }
  left.push(...env.cleanup());
  assert.deepEqual(left, [], 'removing every container and test network left things behind');
});

function stripCounters(l: string): string {
  return l.replace(/\[\d+:\d+\]/, '');
}

function get(port: number, file: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/${file}`, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Polls an HTTP GET until it answers (a hang guard, not a timing check). */
async function getWhenUp(port: number, file: string): Promise<{ status: number; body: string }> {
  let last: unknown;
  for (let i = 0; i < 100; i++) {
    try {
      return await get(port, file);
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no answer on 127.0.0.1:${port}: ${(last as Error).message}`);
}

test("network ls --filter (docker's keys), --no-trunc, -q; bad filters are one line, 1 (the daemon's refusal in docker)", { skip }, () => {
  const a = testNet();
  const b = testNet();
  env.ok(['network', 'create', '--subnet', a.subnet, '--bridge', a.bridge, '--label', 'tier=front', a.name]);
  env.ok(['network', 'create', '--subnet', b.subnet, '--bridge', b.bridge, '--label', 'tier=back', '--label', 'solo', b.name]);
  const ls = (...f: string[]) =>
    env
      .ok(['network', 'ls', '--format', '{{.Name}}', ...f.flatMap((x) => ['--filter', x])])
      .split('\n')
      .filter((x) => x.startsWith(`hkt-${tag}`) || x === 'hako');
  try {
    assert.deepEqual(ls('label=tier=front'), [a.name]);
    assert.deepEqual(ls('label=solo'), [b.name]);
    assert.deepEqual(ls('label=tier', 'name=' + b.name.slice(0, -1)).sort(), [a.name, b.name].sort(), 'name matches a part');
    assert.deepEqual(ls('type=builtin'), ['hako']);
    assert.ok(!ls('type=custom').includes('hako'));
    assert.deepEqual(ls('name=bridge'), ['hako'], "docker's name of the default network");
    const id = env.ok(['network', 'ls', '--no-trunc', '--format', '{{.ID}}', '--filter', `name=${a.name}`]).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.deepEqual(ls(`id=${id.slice(0, 10)}`), [a.name]);
    assert.equal(env.ok(['network', 'ls', '--format', '{{.ID}}', '--filter', `id=${id}`]), `${id.slice(0, 12)}\n`);
    assert.deepEqual(ls('driver=bridge', 'scope=local', 'label=tier=back'), [b.name]);
    assert.deepEqual(ls('scope=swarm'), []);
    const user = runD(['--network', a.name, IMAGE, 'sleep', '1000']);
    assert.deepEqual(ls('dangling=true', 'label=tier'), [b.name], 'a used network and the default are not dangling');
    assert.deepEqual(ls('dangling=false', 'label=tier'), [a.name]);
    env.ok(['rm', '-f', user]);
    assert.deepEqual(env.ok(['network', 'ls', '-q', '--filter', 'label=tier=back']), `${b.name}\n`);
    for (const [f, msg] of [
      ['color=red', "invalid filter 'color'"],
      ['type=other', "invalid filter: 'type'='other'"],
      ['dangling=maybe', "invalid filter 'dangling=maybe'"],
      ['nokey', 'bad format of filter (expected name=value)'],
    ]) {
      const r = env.hako(['network', 'ls', '--filter', f]);
      assert.equal(r.code, 1, f);
      assert.equal(r.stderr, `hako: ${msg}\n`);
    }
  } finally {
    env.hako(['network', 'rm', a.name, b.name]);
  }
});

function runD(args: string[]): string {
  const id = env.ok(['run', '-d', ...args]).trim();
  containerIds.add(id);
  return id;
}

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

test('network create, ls, inspect, rm; one-line errors', { skip }, () => {
  const n = testNet();
  const gw = `${n.prefix}254`;
  assert.equal(env.ok(['network', 'create', '--subnet', n.subnet, '--gateway', gw, '--bridge', n.bridge, n.name]), `${n.name}\n`);
  const rows = env
    .ok(['network', 'ls', '--format', 'json'])
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const { ID, CreatedAt, ...row } = rows.find((r) => r.Name === n.name);
  assert.deepEqual(row, {
    Name: n.name,
    Driver: 'bridge',
    Subnet: n.subnet,
    Gateway: gw,
    Bridge: n.bridge,
    Default: false,
    Scope: 'local',
    Internal: false,
    IPv6: false,
    Labels: '',
  });
  assert.match(ID, /^[0-9a-f]{12}$/);
  assert.ok(Date.parse(CreatedAt) > 0);
  assert.ok(
    rows.some((r) => r.Name === 'hako' && r.Default),
    'the default network is listed',
  );
  assert.match(env.ok(['network', 'ls']), new RegExp(`^${n.name}\\s+bridge\\s+${n.subnet.replace(/\./g, '\\.')}`, 'm'));
  const doc = JSON.parse(env.ok(['network', 'inspect', n.name]))[0];
  assert.equal(doc.Name, n.name);
  assert.deepEqual(doc.IPAM.Config, [{ Subnet: n.subnet, Gateway: gw }]);
  assert.equal(doc.Options['com.docker.network.bridge.name'], n.bridge);
  assert.deepEqual(doc.Containers, {});
  assert.equal(env.ok(['network', 'inspect', '--format', '{{.Name}}', n.name]), `${n.name}\n`);

  const dup = env.hako(['network', 'create', '--subnet', n.subnet, n.name]);
  assert.equal(dup.code, 1);
  assert.equal(dup.stderr, `hako: network "${n.name}" already exists\n`);
  const badSubnet = env.hako(['network', 'create', '--subnet', '10.250.0.0/33', `${n.name}-x`]);
  assert.equal(badSubnet.code, 1);
  assert.match(badSubnet.stderr, /^hako: subnet[^\n]*\n$/);
  const reserved = env.hako(['network', 'create', 'host']);
  assert.equal(reserved.code, 1);
  assert.match(reserved.stderr, /^hako: network name "host": is reserved[^\n]*\n$/);
  const usage = env.hako(['network', '--help']);
  assert.equal(usage.code, 0);
  assert.match(usage.stdout, /^usage: hako network COMMAND/);
  const unknownSub = env.hako(['network', 'frobnicate']);
  assert.equal(unknownSub.code, 1);
  assert.equal(unknownSub.stderr, 'hako: network: unknown command "frobnicate" (see hako network --help)\n');

  assert.equal(env.ok(['network', 'rm', n.name]), `${n.name}\n`);
  assert.equal(env.ok(['network', 'ls', '-q']).split('\n').includes(n.name), false);
  assert.equal(fs.existsSync(`/sys/class/net/${n.bridge}`), false, 'the bridge is gone');
  const gone = env.hako(['network', 'inspect', n.name]);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, `hako: network "${n.name}" not found\n`);
});

test('-p 127.0.0.1:PORT:80 reaches busybox httpd; -p 80 gets a random port; inspect shows them', { skip }, async () => {
  const n = testNet();
  env.ok(['network', 'create', '--subnet', n.subnet, '--bridge', n.bridge, n.name]);
  const port = await freePort();
  const id = runD(['--name', 'web', '--network', n.name, '-p', `127.0.0.1:${port}:80`, '-p', '80', IMAGE, ...HTTPD]);
  const res = await getWhenUp(port, 'index.html');
  assert.equal(res.status, 200);
  assert.equal(res.body, `hello from ${id.slice(0, 12)}\n`);

  const ns = JSON.parse(env.ok(['inspect', '--format', '{{json .NetworkSettings}}', 'web']));
  assert.ok(ns.IPAddress.startsWith(n.prefix), `address ${ns.IPAddress} in ${n.subnet}`);
  assert.equal(ns.Gateway, `${n.prefix}1`);
  assert.match(ns.MacAddress, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
  assert.equal(ns.Networks[n.name].IPAddress, ns.IPAddress);
  const bindings = ns.Ports['80/tcp'] as { HostIp: string; HostPort: string }[];
  assert.equal(bindings.length, 2);
  assert.deepEqual(bindings[0], { HostIp: '127.0.0.1', HostPort: String(port) });
  const random = Number(bindings[1].HostPort);
  assert.ok(random > 0 && random !== port, `-p 80 got a host port (${bindings[1].HostPort})`);
  assert.equal((await getWhenUp(random, 'index.html')).status, 200, 'the random port answers on loopback too');
  assert.equal(env.ok(['ps', '--format', '{{.Names}} {{.Ports}}']), `web 127.0.0.1:${port}->80/tcp, 0.0.0.0:${random}->80/tcp\n`);

  const users = JSON.parse(env.ok(['network', 'inspect', n.name]))[0].Containers;
  assert.deepEqual(Object.values(users), [{ Name: 'web', IPv4Address: ns.IPAddress, Interface: 'eth0' }]);
  const busy = env.hako(['network', 'rm', n.name]);
  assert.equal(busy.code, 1);
  assert.equal(busy.stderr, `hako: network "${n.name}" is in use by container web: remove them first\n`);

  env.ok(['rm', '-f', 'web']);
  await assert.rejects(get(port, 'index.html'), 'the port mapping is gone with the container');
  env.ok(['network', 'rm', n.name]);
});

test('two containers on one network reach each other by address and by name', { skip }, () => {
  const n = testNet();
  env.ok(['network', 'create', '--subnet', n.subnet, '--bridge', n.bridge, n.name]);
  runD(['--name', 'alpha', '--network', n.name, IMAGE, 'sleep', '1000']);
  runD(['--name', 'beta', '--network', n.name, IMAGE, 'sleep', '1000']);
  const ip = (c: string) => env.ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', c]).trim();
  const a = ip('alpha');
  const b = ip('beta');
  assert.ok(a.startsWith(n.prefix) && b.startsWith(n.prefix) && a !== b, `${a} and ${b} in ${n.subnet}`);
  assert.match(env.ok(['exec', 'beta', 'ping', '-c', '1', '-W', '5', a]), / 0% packet loss/);
  assert.match(
    env.ok(['exec', 'beta', 'ping', '-c', '1', '-W', '5', 'alpha']),
    new RegExp(`PING alpha \\(${a.replace(/\./g, '\\.')}\\)[\\s\\S]* 0% packet loss`),
  );
  // alpha started first: its /etc/hosts learnt beta when beta came.
  assert.match(
    env.ok(['exec', 'alpha', 'ping', '-c', '1', '-W', '5', 'beta']),
    new RegExp(`PING beta \\(${b.replace(/\./g, '\\.')}\\)[\\s\\S]* 0% packet loss`),
  );
  assert.match(env.ok(['exec', 'alpha', 'cat', '/etc/hosts']), new RegExp(`^${a.replace(/\./g, '\\.')}\\t\\w{12} alpha$`, 'm'));
  assert.equal(env.ok(['exec', 'alpha', 'hostname']).trim().length, 12);
  assert.match(env.ok(['exec', 'alpha', 'cat', '/etc/resolv.conf']), /^# Generated by hako/);
  env.ok(['rm', '-f', 'beta']);
  assert.doesNotMatch(env.ok(['exec', 'alpha', 'cat', '/etc/hosts']), /\bbeta\b/, 'a removed peer leaves the hosts file');
  env.ok(['rm', '-f', 'alpha']);
  env.ok(['network', 'rm', n.name]);
});

test('--network none has only lo; --network host has no namespace of its own', { skip }, () => {
  const out = env.ok(['run', '--rm', '--network', 'none', IMAGE, 'ip', '-o', 'link']);
  const names = out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(':')[1].trim().split('@')[0]);
  assert.deepEqual(names, ['lo']);
  assert.match(env.ok(['run', '--rm', '--network', 'none', IMAGE, 'ip', '-o', 'addr']), /lo\s+inet 127\.0\.0\.1\/8/, 'lo is up with its address');
  const hostNs = fs.readlinkSync('/proc/self/ns/net');
  const inHost = env.ok(['run', '--rm', '--network', 'host', IMAGE, 'readlink', '/proc/self/ns/net']).trim();
  assert.equal(inHost, hostNs);
  const p = env.hako(['run', '--rm', '--network', 'none', '-p', '80', IMAGE, 'true']);
  assert.equal(p.code, 125);
  assert.equal(p.stderr, 'hako: --publish needs a network with port mapping, not --network none\n');
});

test('the default network: plain run gets eth0 with an address of the network hako', { skip }, () => {
  const out = env.ok(['run', '--rm', IMAGE, 'ip', 'addr']);
  assert.match(out, /eth0@\S+: <[^>]*UP[^>]*>/);
  assert.match(out, /inet 10\.89\.0\.\d+\/24 [^\n]* eth0/);
  const same = env.ok(['run', '--rm', '--network', 'bridge', IMAGE, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
  assert.match(same, /inet 10\.89\.0\.\d+\/24/);
});

test('a container killed behind our back (monitor too) is cleaned up by ps; stop releases the network', { skip }, async () => {
  const n = testNet();
  env.ok(['network', 'create', '--subnet', n.subnet, '--bridge', n.bridge, n.name]);
  const id = runD(['--network', n.name, IMAGE, 'sleep', '1000']);
  const dir = path.join(env.root, 'containers', id);
  const pin = path.join(env.root, 'netns', id);
  const leases = () => hostLeases(n.bridge);
  assert.ok(fs.existsSync(pin) && fs.existsSync(path.join(dir, 'network-record.json')));
  assert.equal(leases().length, 1);
  const st = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
  process.kill(st.monitorPid, 'SIGKILL');
  process.kill(st.pid, 'SIGKILL');
  await env.until(
    'the container process to go',
    () => !fs.existsSync(`/proc/${st.pid}`) || /^State:\s+Z/m.test(fs.readFileSync(`/proc/${st.pid}/status`, 'utf8')),
  );
  env.ok(['ps', '-a']);
  assert.equal(fs.existsSync(pin), false, 'pin removed');
  assert.equal(fs.existsSync(path.join(dir, 'network-record.json')), false, 'record replayed and removed');
  assert.deepEqual(leases(), [], 'lease released');
  assert.equal(env.mountsUnderRoot().filter((m) => m.includes('/netns/')).length, 0);

  // A normal stop (no restart policy) releases everything through conmon's exit command; start re-attaches.
  env.ok(['start', id]);
  assert.equal(leases().length, 1);
  env.ok(['stop', '-t', '0', id]);
  await env.until('the exit command to release the network', () => !fs.existsSync(pin) && leases().length === 0);
  env.ok(['rm', id]);
  env.ok(['network', 'rm', n.name]);
});

test('a failing attach at start is rolled back: no pin, no lease, no veth, no record', { skip }, async () => {
  const n = testNet();
  // A /30 has two host addresses: the gateway and one container. The second container's attach
  // fails for want of an address.
  const subnet = `${n.prefix}0/30`;
  env.ok(['network', 'create', '--subnet', subnet, '--bridge', n.bridge, n.name]);
  runD(['--name', 'first', '--network', n.name, IMAGE, 'sleep', '1000']);
  const leases = () => hostLeases(n.bridge);
  assert.deepEqual(leases(), [`${n.prefix}2`]);
  const linksNow = links();
  const id = env.ok(['create', '--name', 'second', '--network', n.name, IMAGE, 'true']).trim();
  containerIds.add(id);
  const r = env.hako(['start', id]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(`^hako: network "${n.name}": no IP addresses available in ${n.prefix.replace(/\./g, '\\.')}0/30[^\n]*\n$`),
    'one line naming the network',
  );
  assert.equal(fs.existsSync(path.join(env.root, 'netns', id)), false, 'pin removed');
  assert.equal(fs.existsSync(path.join(env.root, 'containers', id, 'network-record.json')), false, 'no record left');
  assert.deepEqual(leases(), [`${n.prefix}2`], 'only the first container holds a lease');
  assert.deepEqual(await linksSettle(linksNow), [], 'no veth left');
  assert.equal(env.inspect(id).State.Status, 'exited');
  const run = env.hako(['run', '--rm', '--network', n.name, IMAGE, 'true']);
  assert.equal(run.code, 125);
  assert.equal(env.hako(['ps', '-aq']).stdout.split('\n').filter(Boolean).length, 2, 'run --rm left no container');
  env.ok(['rm', '-f', 'first', 'second']);
  assert.deepEqual(leases(), []);
  env.ok(['network', 'rm', n.name]);
});
