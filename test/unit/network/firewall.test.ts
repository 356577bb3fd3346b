// The firewall batches of the bridge driver: the whole wanted state, one nft table or HAKO-* chains.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ip6tablesScript, iptablesScript, nftScript } from '../../../src/network/driver/firewall.js';

const state = {
  subnets: ['10.89.0.0/24', '10.250.3.0/24'],
  ports: {
    'tcp/127.0.0.1/8080': { container: 'a', netns: '/x', ip: '10.89.0.2', port: 80 },
    'udp/0.0.0.0/5353': { container: 'b', netns: '/y', ip: '10.89.0.3', port: 53 },
  },
};

test('nft: the table and its sets and maps are flushed and refilled in one batch', () => {
  const s = nftScript(state);
  const flushes = s.split('\n').filter((l) => l.startsWith('flush'));
  assert.deepEqual(flushes, ['flush table ip hako', 'flush set ip hako subnets', 'flush map ip hako ports', 'flush map ip hako ports_any']);
  assert.ok(s.indexOf('flush map ip hako ports_any') < s.lastIndexOf('table ip hako {'), 'declared, flushed, then filled');
  assert.match(s, /elements = \{ 10\.89\.0\.0\/24, 10\.250\.3\.0\/24 \}/);
  assert.match(s, /elements = \{ 127\.0\.0\.1 \. tcp \. 8080 : 10\.89\.0\.2 \. 80 \}/);
  assert.match(s, /elements = \{ udp \. 5353 : 10\.89\.0\.3 \. 53 \}/);
  assert.match(s, /ip saddr @subnets ip daddr != @subnets masquerade/);
  assert.match(s, /ct status dnat ip saddr 127\.0\.0\.0\/8 masquerade/, 'ports on 127.0.0.1 answer (with route_localnet)');
  assert.match(s, /ct status dnat ip saddr @subnets ip daddr @subnets masquerade/, 'hairpin');
  const empty = nftScript({ subnets: [], ports: {} });
  assert.doesNotMatch(empty, /elements/, 'nothing left: empty sets');
});

test('iptables: chains declared (flushed by restore) and filled; nothing outside HAKO-*', () => {
  const s = iptablesScript(state);
  assert.deepEqual(
    s.split('\n').filter((l) => l.startsWith(':')),
    [':HAKO-DNAT - [0:0]', ':HAKO-POSTROUTING - [0:0]', ':HAKO-FORWARD - [0:0]'],
  );
  assert.match(s, /^-A HAKO-DNAT -d 127\.0\.0\.1\/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10\.89\.0\.2:80$/m);
  assert.match(s, /^-A HAKO-DNAT -p udp -m udp --dport 5353 -j DNAT --to-destination 10\.89\.0\.3:53$/m);
  assert.match(s, /^-A HAKO-POSTROUTING -s 10\.250\.3\.0\/24 ! -d 10\.250\.3\.0\/24 -j MASQUERADE$/m);
  for (const l of s.split('\n').filter((x) => x.startsWith('-'))) assert.match(l, /^-A HAKO-/);
  assert.equal(s.match(/^COMMIT$/gm)?.length, 2);
});

const dual = {
  subnets: ['10.89.0.0/24'],
  subnets6: ['fd00:1::/64'],
  ports: {
    'tcp/0.0.0.0/8080': { container: 'a', netns: '/x', ip: '10.89.0.2', ip6: 'fd00:1::2', port: 80 },
    'tcp/fd00:1::1/8081': { container: 'a', netns: '/x', ip: '', ip6: 'fd00:1::2', port: 81 },
    'tcp/127.0.0.1/8082': { container: 'b', netns: '/y', ip: '10.89.0.3', port: 82 },
  },
};

test('nft, dual stack: table ip6 hako with the IPv6 subnets and ports; all-address ports in both', () => {
  const s = nftScript(dual);
  const v6 = s.slice(s.indexOf('table ip6 hako'));
  const v4 = s.slice(0, s.indexOf('table ip6 hako'));
  assert.match(v6, /flush set ip6 hako subnets/);
  assert.match(v6, /type ipv6_addr; flags interval;\n {4}elements = \{ fd00:1::\/64 \}/);
  assert.match(v6, /elements = \{ fd00:1::1 \. tcp \. 8081 : fd00:1::2 \. 81 \}/);
  assert.match(v6, /elements = \{ tcp \. 8080 : fd00:1::2 \. 80 \}/);
  assert.match(v6, /ip6 saddr @subnets ip6 daddr != @subnets masquerade/);
  assert.doesNotMatch(v6, /8082|10\.89/, 'IPv4 ports stay in table ip');
  assert.match(v4, /elements = \{ tcp \. 8080 : 10\.89\.0\.2 \. 80 \}/);
  assert.doesNotMatch(v4, /8081|fd00/, 'IPv6 ports stay in table ip6');
  assert.match(nftScript(state), /table ip6 hako \{\}\ndelete table ip6 hako\n$/, 'no dual-stack network: a leftover ip6 table is deleted');
  assert.doesNotMatch(nftScript(state, false), /ip6/, 'a kernel without IPv6: no ip6 table at all');
});

test('ip6tables-restore batch: the same chains with IPv6 addresses and [addr]:port targets', () => {
  assert.doesNotMatch(iptablesScript(dual), /fd00/, 'the IPv4 batch has no IPv6');
  const s = ip6tablesScript(dual);
  assert.match(s, /^-A HAKO-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination \[fd00:1::2\]:80$/m);
  assert.match(s, /^-A HAKO-DNAT -d fd00:1::1\/128 -p tcp -m tcp --dport 8081 -j DNAT --to-destination \[fd00:1::2\]:81$/m);
  assert.match(s, /^-A HAKO-POSTROUTING -s fd00:1::\/64 ! -d fd00:1::\/64 -j MASQUERADE$/m);
  assert.match(s, /^-A HAKO-POSTROUTING -s ::1 -m conntrack --ctstate DNAT -j MASQUERADE$/m);
  assert.match(s, /^-A HAKO-FORWARD -d fd00:1::\/64 -j ACCEPT$/m);
  assert.doesNotMatch(s, /10\.89|8082/);
});
