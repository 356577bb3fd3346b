// The bridge driver's host-wide address plan, as root: two stores (--root) never share an address,
// a published host port held by another process or another store's container is refused naming the
// holder, 50 containers started at once on one network get distinct addresses and reach each other
// by name, and `rm` leaves no veth, lease, firewall entry or pin. A CNI network (--driver cni) still
// works beside them. Test networks are random /24s of 10.251.0.0/16; traffic stays on 127.0.0.1 and
// inside the namespaces made here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { EngineEnv, HAKO, IMAGE, networkSkip } from './harness.js';
import { hostIfName } from '../../../src/network/driver/bridge.js';

const skip = networkSkip;
const RUN_DIR = '/run/hako/networks';
const tag = crypto.randomBytes(3).toString('hex');
let a: EngineEnv;
let b: EngineEnv;
let linksBefore: Set<string>;
const ids = new Set<string>();
const links = () => new Set(fs.readdirSync('/sys/class/net'));

before(() => {
  if (skip) return;
  linksBefore = links();
  a = new EngineEnv();
  b = new EngineEnv();
});

after(async () => {
  if (!a) return;
  const left: string[] = [];
  for (const env of [a, b]) {
    for (const n of env.hako(['network', 'ls', '-q']).stdout.split('\n'))
      if (n.startsWith(`hkw-${tag}`)) {
        env.hako(['rm', '-f', ...env.hako(['ps', '-aq']).stdout.split('\n').filter(Boolean)]);
        env.hako(['network', 'rm', n]);
      }
    left.push(...env.cleanup());
  }
  left.push(...leasesOf(ids).map((l) => `lease: ${l}`));
  left.push(...(await vethsLeft()));
  assert.deepEqual(left, [], 'things left behind');
});

function leasesOf(containers: Set<string>): string[] {
  const out: string[] = [];
  for (const f of fs.existsSync(RUN_DIR) ? fs.readdirSync(RUN_DIR) : []) {
    if (!f.endsWith('.json') || f === 'ports.json') continue;
    const plan = JSON.parse(fs.readFileSync(path.join(RUN_DIR, f), 'utf8')) as { leases: Record<string, { container: string }> };
    for (const [ip, l] of Object.entries(plan.leases)) if (containers.has(l.container)) out.push(`${f} ${ip}`);
  }
  return out;
}

/** Host ends of this test's containers (other tests on this host make veths too); the kernel drops
 *  a namespace's veth asynchronously after unpinning. */
async function vethsLeft(): Promise<string[]> {
  const ours = new Set([...ids].flatMap((id) => [hostIfName(id, 'eth0'), hostIfName(id, 'eth1')]));
  let extra: string[] = [];
  for (let i = 0; i < 100; i++) {
    extra = [...links()].filter((l) => !linksBefore.has(l) && ours.has(l));
    if (extra.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return extra.map((l) => `link: ${l}`);
}

function firewall(): string {
  const nft = spawnSync('nft', ['list', 'table', 'ip', 'hako'], { encoding: 'utf8' });
  return nft.status === 0 ? nft.stdout : spawnSync('iptables-save', { encoding: 'utf8' }).stdout;
}

function runD(env: EngineEnv, args: string[]): string {
  const id = env.ok(['run', '-d', ...args]).trim();
  ids.add(id);
  return id;
}

/** hako, asynchronously (for many at once). */
function hakoAsync(env: EngineEnv, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(HAKO, ['--root', env.root, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HAKO_ROOT: undefined } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    p.on('close', (code) => resolve({ code: code ?? 128, stdout, stderr }));
  });
}

const ipOf = (env: EngineEnv, c: string) => env.ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', c]).trim();

function listen(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => resolve(s));
  });
}

test('two stores on the default network never share an address; rm releases both leases', { skip }, async () => {
  const x = runD(a, ['--name', 'x', IMAGE, 'sleep', '1000']);
  const y = runD(b, ['--name', 'y', IMAGE, 'sleep', '1000']);
  const ipx = ipOf(a, 'x');
  const ipy = ipOf(b, 'y');
  assert.match(ipx, /^10\.89\.0\.\d+$/);
  assert.match(ipy, /^10\.89\.0\.\d+$/);
  assert.notEqual(ipx, ipy, 'the two stores got different addresses');
  assert.deepEqual(leasesOf(new Set([x, y])).sort(), [`hako0.json ${ipx}`, `hako0.json ${ipy}`].sort());
  assert.match(b.ok(['exec', 'y', 'ping', '-c', '1', '-W', '5', ipx]), / 0% packet loss/, 'both on one bridge');
  a.ok(['rm', '-f', 'x']);
  b.ok(['rm', '-f', 'y']);
  assert.deepEqual(leasesOf(new Set([x, y])), []);
});

test("a host port held by a process or by another store's container is refused, naming the holder", { skip }, async () => {
  const server = await listen('127.0.0.1');
  const held = (server.address() as net.AddressInfo).port;
  try {
    const r = a.hako(['run', '--rm', '-p', `127.0.0.1:${held}:80`, IMAGE, 'true']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, `hako: --publish 127.0.0.1:${held}/tcp: host port already in use by pid ${process.pid} (node)\n`);
  } finally {
    server.close();
  }
  const free = await listen('127.0.0.1');
  const port = (free.address() as net.AddressInfo).port;
  free.close();
  const web = runD(a, ['--name', `web-${tag}`, '-p', `127.0.0.1:${port}:80`, IMAGE, 'sleep', '1000']);
  assert.match(firewall(), new RegExp(`\\b${port}\\b`), 'the port is in the firewall');
  for (const spec of [`127.0.0.1:${port}:80`, `${port}:80`]) {
    const r = b.hako(['run', '--rm', '-p', spec, IMAGE, 'true']);
    assert.equal(r.code, 125, spec);
    assert.match(r.stderr, new RegExp(`^hako: --publish [0-9.:]*${port}/tcp: host port already in use by container web-${tag}\\n$`), spec);
  }
  a.ok(['rm', '-f', web]);
  assert.doesNotMatch(firewall(), new RegExp(`\\b${port}\\b`), 'the port left the firewall with the container');
  assert.equal(b.hako(['run', '--rm', '-p', `127.0.0.1:${port}:80`, IMAGE, 'true']).code, 0, 'free again');
});

// HAKO_TEST_NET_COUNT makes it fewer (the emulated cgroup v2 VM: 50 containers pinging every pair
// take far longer there than its time-out); the target, and CI here, is 50.
const COUNT = Number(process.env.HAKO_TEST_NET_COUNT ?? 50);
if (!Number.isInteger(COUNT) || COUNT < 2 || COUNT > 200) throw new Error(`HAKO_TEST_NET_COUNT: expected 2..200, got ${process.env.HAKO_TEST_NET_COUNT}`);

// The kernel's neighbour (ARP) table is one for all network namespaces, capped by
// net.ipv4.neigh.default.gc_thresh3 (1024 by default). COUNT containers pinging each other need
// COUNT×(COUNT-1) entries (2450 for 50): with the defaults the kernel refuses new ones ("neighbor
// table overflow", table_fulls in /proc/net/stat/arp_cache) and a ping fails with no neighbour
// entry at all. That was this test's flake (src/network/README.md, Known issues). docker and podman
// leave that host-wide setting alone, and so does hako (Kubernetes nodes raise it); the test raises
// it for its own run and puts the old values back.
const NEIGH = '/proc/sys/net/ipv4/neigh/default';
function roomForNeighbours(need: number): () => Promise<void> {
  const saved = ['gc_thresh3', 'gc_thresh2'].map((k) => [k, fs.readFileSync(`${NEIGH}/${k}`, 'utf8').trim()] as const);
  const [t3, t2] = saved.map(([, v]) => Number(v));
  if (t3 < 2 * need) fs.writeFileSync(`${NEIGH}/gc_thresh3`, String(2 * need));
  if (t2 < need) fs.writeFileSync(`${NEIGH}/gc_thresh2`, String(need));
  return async () => {
    // The namespaces (and their entries) go a little after rm returns: restoring the cap while the
    // table is still over it would make other containers on the host fail to make entries.
    for (let i = 0; i < 100 && arpEntries() >= t2; i++) await new Promise((r) => setTimeout(r, 100));
    for (const [k, v] of saved) fs.writeFileSync(`${NEIGH}/${k}`, v);
  };
}

const arpRows = () =>
  fs
    .readFileSync('/proc/net/stat/arp_cache', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((r) => r.trim().split(/\s+/));
/** Entries in the kernel's ARP table now (the first column is the table's, on every row). */
const arpEntries = () => parseInt(arpRows()[0][0], 16);

/** How often the kernel's ARP table was full since boot (all CPUs), for a failure's message. */
function arpTableFulls(): number {
  return arpRows().reduce((sum, r) => sum + parseInt(r[12], 16), 0);
}

test(`${COUNT} containers started at once get distinct addresses and reach each other by name; rm leaves nothing`, { skip, timeout: 600_000 }, async () => {
  const restore = roomForNeighbours(COUNT * (COUNT - 1) + 1024);
  try {
    await manyContainers();
  } finally {
    await restore();
  }
});

async function manyContainers(): Promise<void> {
  const x = 1 + crypto.randomInt(250);
  const name = `hkw-${tag}`;
  a.ok(['network', 'create', '--subnet', `10.251.${x}.0/24`, '--bridge', `hkw${tag}`, name]);
  const names = Array.from({ length: COUNT }, (_, i) => `p${i}-${tag}`);
  const started = await Promise.all(names.map((n) => hakoAsync(a, ['run', '-d', '--name', n, '--network', name, IMAGE, 'sleep', '1000'])));
  for (const [i, r] of started.entries()) {
    assert.equal(r.code, 0, `${names[i]}: ${r.stderr}`);
    ids.add(r.stdout.trim());
  }
  const addrs = names.map((n) => ipOf(a, n));
  assert.equal(new Set(addrs).size, COUNT, `distinct addresses: ${addrs.join(' ')}`);
  for (const ip of addrs) assert.ok(ip.startsWith(`10.251.${x}.`), ip);
  // Names: every container's /etc/hosts has every other one with its address.
  for (const [i, n] of names.entries()) {
    const hosts = fs.readFileSync(path.join(a.root, 'containers', started[i].stdout.trim(), 'etc', 'hosts'), 'utf8');
    for (const [k, other] of names.entries()) {
      if (k !== i) assert.match(hosts, new RegExp(`^${addrs[k].replace(/\./g, '\\.')}\t${other}$`, 'm'), `${n} knows ${other}`);
    }
  }
  // Reachability: every container pings every other by name (one exec each: a loop over the names),
  // five loops at a time. A ping is retried for up to ~30 s (the kernel's forced garbage collection
  // frees only neighbour entries older than 5 s, so a full table recovers by itself, slowly).
  // A failure prints the neighbour entry, for whoever chases it (see src/network/README.md).
  // A failure that comes at once (the name not resolved, say) waits out the rest of its 2 s, so the
  // window really is ~30 s; the last attempt's own message is kept for the diagnosis.
  const ping = 'for t in $(seq 15); do s=$(date +%s); e=$(ping -c 1 -W 2 "$n" 2>&1) && return 0; [ $(($(date +%s) - s)) -ge 2 ] || sleep 2; done; return 1';
  const why =
    'ip=$(grep -w "$n" /etc/hosts | cut -f1); echo "unreachable $n ($ip): neighbour: $(ip neigh show "$ip" 2>&1); ping: $(echo "$e" | tail -2 | tr "\\n" " ")"';
  const loop = `reach() { ${ping}; }; for n in ${names.join(' ')}; do [ "$n" = "$1" ] && continue; reach || { ${why}; }; done; echo done`;
  const fulls = arpTableFulls();
  for (let i = 0; i < names.length; i += 5) {
    const batch = names.slice(i, i + 5);
    const results = await Promise.all(batch.map((n) => hakoAsync(a, ['exec', n, 'sh', '-c', loop, 'sh', n])));
    const full = `(the kernel's ARP table was full ${arpTableFulls() - fulls} times meanwhile)`;
    for (const [k, r] of results.entries()) assert.equal(r.stdout, 'done\n', `${batch[k]}: ${r.stdout}${r.stderr} ${full}`);
  }
  const removed = await Promise.all(names.map((n) => hakoAsync(a, ['rm', '-f', n])));
  for (const r of removed) assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(leasesOf(ids), [], 'no lease left');
  assert.deepEqual(fs.existsSync(path.join(a.root, 'netns')) ? fs.readdirSync(path.join(a.root, 'netns')) : [], [], 'no pin left');
  assert.deepEqual(await vethsLeft(), [], 'no veth left');
  a.ok(['network', 'rm', name]);
  assert.equal(fs.existsSync(`/sys/class/net/hkw${tag}`), false, 'bridge removed');
  assert.doesNotMatch(firewall(), new RegExp(`10\\.251\\.${x}\\.`), 'subnet left the firewall');
}

test('--driver cni: the CNI plugins still make the network', {
  skip: skip || (!fs.existsSync('/usr/lib/cni/bridge') && 'needs containernetworking-plugins'),
}, () => {
  const x = 1 + crypto.randomInt(250);
  const name = `hkw-${tag}-cni`;
  a.ok(['network', 'create', '--driver', 'cni', '--subnet', `10.251.${x}.0/24`, '--bridge', `hkc${tag}`, name]);
  const doc = JSON.parse(a.ok(['network', 'inspect', name]))[0];
  assert.equal(doc.Driver, 'cni');
  assert.equal(JSON.parse(fs.readFileSync(doc.ConfigFile, 'utf8')).hakoDriver, 'cni');
  runD(a, ['--name', `c1-${tag}`, '--network', name, IMAGE, 'sleep', '1000']);
  runD(a, ['--name', `c2-${tag}`, '--network', name, IMAGE, 'sleep', '1000']);
  assert.match(a.ok(['exec', `c2-${tag}`, 'ping', '-c', '1', '-W', '5', `c1-${tag}`]), / 0% packet loss/);
  assert.ok(fs.existsSync(path.join(a.root, 'networks', 'ipam', name)), 'host-local kept its leases');
  a.ok(['rm', '-f', `c1-${tag}`, `c2-${tag}`]);
  a.ok(['network', 'rm', name]);
  assert.equal(fs.existsSync(`/sys/class/net/hkc${tag}`), false);
});

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/index.html', timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

test('HAKO_FIREWALL=iptables: published ports through HAKO-* chains written by iptables-restore', {
  skip: skip || (!fs.existsSync('/usr/sbin/iptables-restore') && 'needs iptables'),
}, async () => {
  const free = await listen('127.0.0.1');
  const port = (free.address() as net.AddressInfo).port;
  free.close();
  const saved = process.env.HAKO_FIREWALL;
  process.env.HAKO_FIREWALL = 'iptables';
  try {
    const httpd = ['sh', '-c', 'mkdir -p /www && echo "hello $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];
    const id = runD(a, ['--name', `ipt-${tag}`, '-p', `127.0.0.1:${port}:80`, IMAGE, ...httpd]);
    const ip = ipOf(a, id);
    const rules = () => spawnSync('iptables-save', { encoding: 'utf8' }).stdout;
    assert.match(
      rules(),
      new RegExp(`^-A HAKO-DNAT -d 127\\.0\\.0\\.1/32 -p tcp -m tcp --dport ${port} -j DNAT --to-destination ${ip.replace(/\./g, '\\.')}:80$`, 'm'),
    );
    assert.match(rules(), /^-A OUTPUT -m addrtype --dst-type LOCAL -j HAKO-DNAT$/m);
    assert.match(rules(), /^-A POSTROUTING -j HAKO-POSTROUTING$/m);
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await get(port).catch(() => '');
      if (!body) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body, `hello ${id.slice(0, 12)}\n`, 'the port answers on 127.0.0.1 through iptables DNAT');
    a.ok(['rm', '-f', id]);
    assert.doesNotMatch(rules(), new RegExp(`--dport ${port} `), 'the rule left with the container');
    await assert.rejects(get(port));
  } finally {
    if (saved === undefined) delete process.env.HAKO_FIREWALL;
    else process.env.HAKO_FIREWALL = saved;
  }
});
