// IPv6 on the bridge driver (dual stack, as docker's `network create --ipv6`), as root: containers
// get an IPv6 address and default route from the bridge's IPv6 gateway, reach each other by name over
// IPv6 (AAAA lines in /etc/hosts), published ports answer on a host IPv6 address through table
// ip6 hako (and through ip6tables-restore), inspect shows docker's fields, and `network rm` takes the
// subnet out of the firewall. Hostile subnets are refused in one line. Test networks: random
// fd00:hhhh::/64 and 10.249.x.0/24; traffic stays on the host's addresses and the test's bridges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { IMAGE, networkSkip, useEngineEnv, type EngineEnv } from './harness.js';
import { freePort } from '../../fixtures/ports.js';

const skip = networkSkip || (!fs.existsSync('/proc/sys/net/ipv6') && 'IPv6 is off in this kernel');
let env: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});
// four hex digits without a leading zero: the group prints as written (RFC 5952)
const tag = (0x1000 + crypto.randomInt(0xefff)).toString(16);
const NET = `hk6-${tag}`;
const BR = `hk6${tag}`;
const V6 = `fd00:${tag}::/64`;
const V4 = `10.249.${1 + crypto.randomInt(250)}.0/24`;
const GW6 = `fd00:${tag}::1`;
const HTTPD = ['sh', '-c', 'mkdir -p /www && echo "hello $(hostname)" > /www/index.html && exec httpd -f -p 80 -h /www'];

const nft = (family: string) => spawnSync('nft', ['list', 'table', family, 'hako'], { encoding: 'utf8' }).stdout ?? '';
const hasNft = fs.existsSync('/usr/sbin/nft');

/** GET / on [host]:port over TCP, retried while the server starts. */
async function get(host: string, port: number): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const body = await new Promise<string>((resolve) => {
      const s = net.connect({ host, port, timeout: 2000 }, () => s.write('GET /index.html HTTP/1.0\r\n\r\n'));
      let out = '';
      s.on('data', (d) => {
        out += d;
      });
      s.on('end', () => resolve(out));
      s.on('timeout', () => s.destroy());
      s.on('error', () => resolve(''));
      s.on('close', () => resolve(out));
    });
    if (body) return body.split('\r\n\r\n')[1] ?? '';
    await new Promise((r) => setTimeout(r, 100));
  }
  return '';
}

test('network create --ipv6: dual-stack conflist, docker-shaped inspect; hostile subnets refused', { skip }, () => {
  assert.equal(env.ok(['network', 'create', '--ipv6', '--subnet', V6, '--subnet', V4, '--bridge', BR, NET]), `${NET}\n`);
  const doc = JSON.parse(env.ok(['network', 'inspect', NET]))[0];
  assert.equal(doc.EnableIPv6, true);
  assert.deepEqual(doc.IPAM.Config, [
    { Subnet: V4, Gateway: V4.replace('0/24', '1') },
    { Subnet: V6, Gateway: GW6 },
  ]);
  const refusals: [string[], RegExp][] = [
    [
      ['--ipv6', '--subnet', `fd00:${tag}:0:0:1::/80`],
      new RegExp(`^hako: subnet "fd00:${tag}:0:0:1::/80": overlaps network "${NET}" \\(fd00:${tag}::/64\\)\\n$`),
    ],
    [['--ipv6', '--subnet', 'fd00:ffff::/127'], /^hako: subnet "fd00:ffff::\/127": too small \(at most \/126\)\n$/],
    [['--ipv6', '--subnet', 'fd00:ffff::1/128'], /^hako: subnet "fd00:ffff::1\/128": too small \(at most \/126\)\n$/],
    [['--ipv6', '--subnet', 'fd00:ffff::/4096'], /^hako: subnet: "fd00:ffff::\/4096" has an invalid prefix length\n$/],
    [['--ipv6', '--subnet', '::/0'], /^hako: subnet "::\/0": too large \(at least \/8\)\n$/],
    [['--ipv6', '--subnet', 'fe80:1::/64'], /link-local range fe80::\/10\n$/],
    [['--ipv6', '--subnet', 'fd00:zz::/64'], /^hako: subnet: "fd00:zz::" is not an IPv6 address\n$/],
    [['--subnet', 'fd00:ffff::/64'], /^hako: subnet "fd00:ffff::\/64": an IPv6 subnet needs --ipv6\n$/],
    [['--ipv6', '--subnet', 'fd00:ffff::/64', '--subnet', 'fd00:fffe::/64'], /at most one IPv4 and one IPv6 subnet/],
    [['--ipv6', '--driver', 'cni'], /^hako: --ipv6: only with the bridge driver \(not --driver cni\)\n$/],
  ];
  for (const [args, want] of refusals) {
    const r = env.hako(['network', 'create', ...args, `${NET}-bad`]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, want, args.join(' '));
  }
  assert.doesNotMatch(env.ok(['network', 'ls']), new RegExp(`${NET}-bad`), 'nothing made by a refusal');
});

test('--ipv6 without an IPv6 subnet takes a free /64 of fd68:616b:6f00::/48', { skip }, () => {
  env.ok(['network', 'create', '--ipv6', `${NET}-auto`]);
  const cfg = JSON.parse(env.ok(['network', 'inspect', `${NET}-auto`]))[0].IPAM.Config;
  assert.match(cfg[1].Subnet, /^fd68:616b:6f00:[0-9a-f:]*\/64$/);
  env.ok(['network', 'rm', `${NET}-auto`]);
});

test('containers: IPv6 address and default route via the gateway, names resolve to AAAA, inspect', { skip }, () => {
  env.ok(['run', '-d', '--name', `a-${tag}`, '--network', NET, IMAGE, 'sleep', '1000']);
  env.ok(['run', '-d', '--name', `b-${tag}`, '--network', NET, IMAGE, 'sleep', '1000']);
  const ns = JSON.parse(env.ok(['inspect', `a-${tag}`]))[0].NetworkSettings;
  assert.match(ns.GlobalIPv6Address, new RegExp(`^fd00:${tag}::[0-9a-f]+$`));
  assert.equal(ns.GlobalIPv6PrefixLen, 64);
  assert.equal(ns.IPv6Gateway, GW6);
  assert.equal(ns.Networks[NET].GlobalIPv6Address, ns.GlobalIPv6Address);
  assert.equal(ns.Networks[NET].IPv6Gateway, GW6);
  const addr = env.ok(['exec', `a-${tag}`, 'ip', '-6', 'addr', 'show', 'eth0']);
  assert.match(addr, new RegExp(`inet6 ${ns.GlobalIPv6Address}/64 scope global`));
  assert.match(env.ok(['exec', `a-${tag}`, 'ip', '-6', 'route']), new RegExp(`^default via ${GW6} dev eth0`, 'm'));
  const b6 = env.ok(['inspect', '--format', '{{.NetworkSettings.GlobalIPv6Address}}', `b-${tag}`]).trim();
  assert.match(env.ok(['exec', `a-${tag}`, 'cat', '/etc/hosts']), new RegExp(`^${b6}\tb-${tag}$`, 'm'), 'the peer by IPv6');
  assert.match(env.ok(['exec', `a-${tag}`, 'ping', '-6', '-c', '1', '-W', '5', `b-${tag}`]), new RegExp(`PING b-${tag} \\(${b6}\\).* 0% packet loss`, 's'));
  assert.match(env.ok(['exec', `a-${tag}`, 'ping', '-c', '1', '-W', '5', GW6]), / 0% packet loss/, 'the gateway is the host');
  const doc = JSON.parse(env.ok(['network', 'inspect', NET]))[0];
  assert.ok(Object.values(doc.Containers as Record<string, { IPv6Address?: string }>).some((c) => c.IPv6Address === b6));
  env.ok(['rm', '-f', `a-${tag}`, `b-${tag}`]);
});

test('published ports answer on the host IPv6 address (nft table ip6 hako); [::1] refused', { skip: skip || (!hasNft && 'needs nft') }, async () => {
  const all = await freePort();
  const on6 = await freePort();
  const id = env.ok(['run', '-d', '--network', NET, '-p', `${all}:80`, '-p', `[${GW6}]:${on6}:80`, IMAGE, ...HTTPD]).trim();
  const c6 = env.ok(['inspect', '--format', '{{.NetworkSettings.GlobalIPv6Address}}', id]).trim();
  const t = nft('ip6');
  assert.match(t, new RegExp(`fd00:${tag}::/64`));
  assert.match(t, new RegExp(`tcp \\. ${all} : ${c6} \\. 80`));
  assert.match(t, new RegExp(`${GW6} \\. tcp \\. ${on6} : ${c6} \\. 80`));
  assert.match(t, /ip6 saddr @subnets ip6 daddr != @subnets masquerade/);
  assert.equal(await get(GW6, all), `hello ${id.slice(0, 12)}\n`, 'all addresses: IPv6 too');
  assert.equal(await get(GW6, on6), `hello ${id.slice(0, 12)}\n`);
  assert.equal(await get('127.0.0.1', all), `hello ${id.slice(0, 12)}\n`, 'and IPv4');
  assert.match(env.ok(['port', id]), new RegExp(`\\[${GW6}\\]:${on6}`));
  const r = env.hako(['run', '--rm', '--network', NET, '-p', `[::1]:${await freePort()}:80`, IMAGE, 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^hako: --publish \[::1\]:\d+\/tcp: IPv6 loopback cannot be forwarded to a container/);
  const v4only = env.hako(['run', '--rm', '-p', `[${GW6}]:${await freePort()}:80`, IMAGE, 'true']);
  assert.match(v4only.stderr, /the container has no IPv6 address \(its network was not created with --ipv6\)/);
  env.ok(['rm', '-f', id]);
  assert.doesNotMatch(nft('ip6'), new RegExp(`\\b${all}\\b`), 'the port left with the container');
});

test('network rm: the bridge goes, and the IPv6 subnet leaves the firewall', { skip }, () => {
  env.ok(['network', 'rm', NET]);
  assert.equal(fs.existsSync(`/sys/class/net/${BR}`), false);
  assert.equal(fs.existsSync(`/run/hako/networks/${BR}.json`), false, 'no plan left');
  // (each backend is rewritten by its own batches: this one is the default's)
  if (hasNft) assert.doesNotMatch(nft('ip6') + nft('ip'), new RegExp(`fd0[01]:${tag}:|${V4.replace('0/24', '').replace(/\./g, '\\.')}`));
  else assert.doesNotMatch(spawnSync('ip6tables-save', { encoding: 'utf8' }).stdout ?? '', new RegExp(`fd00:${tag}:`));
});

test('HAKO_FIREWALL=iptables: the IPv6 side through ip6tables-restore, emptied at network rm (last: the only IPv6 network then)', {
  skip: skip || (!fs.existsSync('/usr/sbin/ip6tables-restore') && 'needs ip6tables'),
}, async () => {
  const ipt = { HAKO_FIREWALL: 'iptables' };
  const sub = `fd01:${tag}::/64`;
  env.ok(['network', 'create', '--ipv6', '--subnet', sub, '--bridge', `${BR}i`, `${NET}-ipt`], { env: ipt });
  const port = await freePort();
  const id = env.ok(['run', '-d', '--network', `${NET}-ipt`, '-p', `${port}:80`, IMAGE, ...HTTPD], { env: ipt }).trim();
  const c6 = env.ok(['inspect', '--format', '{{.NetworkSettings.GlobalIPv6Address}}', id]).trim();
  const rules = () => spawnSync('ip6tables-save', { encoding: 'utf8' }).stdout;
  assert.match(rules(), new RegExp(`^-A HAKO-DNAT -p tcp -m tcp --dport ${port} -j DNAT --to-destination \\[${c6}\\]:80$`, 'm'));
  assert.match(rules(), new RegExp(`^-A HAKO-POSTROUTING -s fd01:${tag}::/64 ! -d fd01:${tag}::/64 -j MASQUERADE$`, 'm'));
  assert.match(rules(), /^-A POSTROUTING -j HAKO-POSTROUTING$/m);
  assert.equal(await get(`fd01:${tag}::1`, port), `hello ${id.slice(0, 12)}\n`);
  env.ok(['rm', '-f', id], { env: ipt });
  assert.doesNotMatch(rules(), new RegExp(`--dport ${port} `));
  env.ok(['network', 'rm', `${NET}-ipt`], { env: ipt });
  assert.doesNotMatch(rules(), new RegExp(`fd01:${tag}:`), 'the subnet left ip6tables');
});
