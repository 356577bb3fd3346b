// `network connect`/`disconnect` of a RUNNING container, as root, checked from inside: the new
// interface and address, /etc/hosts of the container and of its peers, names both ways, inspect;
// disconnect takes them away again and keeps the ports of the first network; the recorded networks
// are the ones the next start sets up. Hostile: unknown network, twice, a network mode that cannot
// be connected, rm leaving the bridge without ports. Two networks of its own (random /24s of
// 10.254.0.0/16), so their bridges' ports are this file's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { EngineEnv, IMAGE, networkSkip } from './harness.js';
import { freePort } from '../../fixtures/ports.js';

const skip = networkSkip;
const tag = crypto.randomBytes(3).toString('hex');
const A = { name: `hka-${tag}`, bridge: `hka${tag}` };
const B = { name: `hkb-${tag}`, bridge: `hkb${tag}` };
let env: EngineEnv;

before(() => {
  if (skip) return;
  env = new EngineEnv();
  const x = 1 + crypto.randomInt(120);
  env.ok(['network', 'create', '--subnet', `10.254.${x}.0/24`, '--bridge', A.bridge, A.name]);
  env.ok(['network', 'create', '--subnet', `10.254.${x + 121}.0/24`, '--bridge', B.bridge, B.name]);
});
after(() => {
  if (!env) return;
  const ids = env.hako(['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) env.hako(['rm', '-f', ...ids]);
  env.hako(['network', 'rm', A.name, B.name]);
  assert.deepEqual(env.cleanup(), []);
});

const ports = (bridge: string) => (fs.existsSync(`/sys/class/net/${bridge}/brif`) ? fs.readdirSync(`/sys/class/net/${bridge}/brif`) : []);
const addrs = (ref: string) => env.ok(['exec', ref, 'ip', '-o', '-4', 'addr', 'show']);
const subnetOf = (n: { name: string }) => env.ok(['network', 'inspect', '--format', '{{(index .IPAM.Config 0).Subnet}}', n.name]).trim();
const prefixOf = (n: { name: string }) => subnetOf(n).replace(/\.0\/24$/, '.');

async function fetchText(port: number): Promise<string | undefined> {
  // Retried for a while: on this shared host a fresh bridge sometimes answers no ARP for seconds
  // (src/network/README.md, "Known issues").
  for (let end = Date.now() + 20_000; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
    const body = await new Promise<string | undefined>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path: '/index.html', timeout: 3000 }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(b));
        })
        .on('error', () => resolve(undefined));
    });
    if (body !== undefined) return body;
  }
  return undefined;
}

test('connect of a running container: interface, address, names both ways; disconnect undoes it', { skip }, async () => {
  const port = await freePort();
  const web = `web-${tag}`;
  const peer = `peer-${tag}`;
  const serve = 'mkdir -p /www && echo connected > /www/index.html && exec httpd -f -p 80 -h /www';
  env.ok(['run', '-d', '--name', web, '--network', A.name, '-p', `127.0.0.1:${port}:80`, IMAGE, 'sh', '-c', serve]);
  env.ok(['run', '-d', '--name', peer, '--network', B.name, IMAGE, 'sleep', '1000']);
  assert.doesNotMatch(env.ok(['exec', peer, 'cat', '/etc/hosts']), new RegExp(web), 'not yet a peer');

  env.ok(['network', 'connect', '--alias', `alias-${tag}`, B.name, web]);
  assert.match(addrs(web), new RegExp(`eth1\\s+inet ${prefixOf(B).replace(/\./g, '\\.')}\\d+/24`), 'eth1 on the connected network');
  assert.match(addrs(web), new RegExp(`eth0\\s+inet ${prefixOf(A).replace(/\./g, '\\.')}`), 'eth0 stays');
  assert.match(env.ok(['exec', web, 'cat', '/etc/hosts']), new RegExp(`\\t${peer}$`, 'm'), 'the peer in its /etc/hosts');
  assert.match(env.ok(['exec', peer, 'cat', '/etc/hosts']), new RegExp(`\\t${web} alias-${tag}$`, 'm'), "in the peer's /etc/hosts, alias too");
  await env.until('the peer to reach it by alias', () => env.hako(['exec', peer, 'wget', '-qO-', `http://alias-${tag}/index.html`]).stdout === 'connected\n');
  const nets = JSON.parse(env.ok(['inspect', '--format', '{{json .NetworkSettings.Networks}}', web]));
  assert.deepEqual(Object.keys(nets).sort(), [A.name, B.name].sort());
  assert.match(nets[B.name].IPAddress, new RegExp(`^${prefixOf(B).replace(/\./g, '\\.')}`));
  assert.equal(ports(B.bridge).length, 2, 'two veths on the second bridge');
  const again = env.hako(['network', 'connect', B.name, web]);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, `hako: endpoint with name ${web} already exists in network ${B.name}\n`);

  env.ok(['network', 'disconnect', B.name, web]);
  assert.doesNotMatch(addrs(web), /eth1/, 'eth1 is gone');
  assert.doesNotMatch(env.ok(['exec', peer, 'cat', '/etc/hosts']), new RegExp(web), "gone from the peer's /etc/hosts");
  assert.doesNotMatch(env.ok(['exec', web, 'cat', '/etc/hosts']), new RegExp(peer), 'and the peer from its own');
  assert.equal(env.ok(['network', 'inspect', '--format', '{{len .Containers}}', B.name]).trim(), '1', 'its lease is released');
  await env.until('its veth on the second bridge to go', () => ports(B.bridge).length === 1, 10_000);
  assert.equal(await fetchText(port), 'connected\n', "the first network's published port still works");
});

test('connected networks are recorded: a restart sets them all up again', { skip }, () => {
  const web = `web-${tag}`;
  env.ok(['network', 'connect', B.name, web]);
  env.ok(['stop', '-t', '0', web]);
  env.ok(['start', web]);
  const out = addrs(web);
  assert.match(out, new RegExp(`eth0\\s+inet ${prefixOf(A).replace(/\./g, '\\.')}`));
  assert.match(out, new RegExp(`eth1\\s+inet ${prefixOf(B).replace(/\./g, '\\.')}`));
});

test('hostile: unknown network, modes that cannot be connected, rm leaves no port behind', { skip }, async () => {
  const web = `web-${tag}`;
  const unknown = env.hako(['network', 'connect', `nosuch-${tag}`, web]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^hako: .*nosuch-.*\n$/);
  env.ok(['run', '-d', '--name', `none-${tag}`, '--network', 'none', IMAGE, 'sleep', '1000']);
  const none = env.hako(['network', 'connect', A.name, `none-${tag}`]);
  assert.equal(none.code, 1);
  assert.equal(none.stderr, `hako: container none-${tag}: network mode none cannot be connected to other networks while it runs\n`);
  assert.doesNotMatch(addrs(`none-${tag}`), /eth/, 'nothing was added');
  env.ok(['run', '-d', '--name', `joined-${tag}`, '--network', `container:${web}`, IMAGE, 'sleep', '1000']);
  const joined = env.hako(['network', 'connect', B.name, `joined-${tag}`]);
  assert.equal(joined.stderr, `hako: container joined-${tag}: network mode container:${web} cannot be connected to other networks\n`);
  const notOn = env.hako(['network', 'disconnect', B.name, `none-${tag}`]);
  assert.match(notOn.stderr, /is not connected to network/);
  env.ok(['rm', '-f', `joined-${tag}`, `none-${tag}`, web, `peer-${tag}`]);
  await env.until('the bridges to have no ports', () => ports(A.bridge).length + ports(B.bridge).length === 0, 10_000);
  assert.deepEqual(env.pinnedNamespaces(), []);
});

test('a created --network none container connected before its start gets the network (its namespace is resolved at start)', { skip }, () => {
  const id = env.ok(['create', '--network', 'none', IMAGE, 'ip', '-o', '-4', 'addr', 'show']).trim();
  env.ok(['network', 'connect', A.name, id]);
  assert.match(env.ok(['start', '-a', id]), new RegExp(`eth0\\s+inet ${prefixOf(A).replace(/\./g, '\\.')}`));
  const back = env.ok(['create', '--network', A.name, IMAGE, 'ip', '-o', 'link', 'show']).trim();
  env.ok(['network', 'disconnect', A.name, back]);
  assert.doesNotMatch(env.ok(['start', '-a', back]), /eth0/, 'disconnected from its only network: lo only');
  env.ok(['rm', id, back]);
});
