// --add-host, --dns, --dns-search, --dns-option and --network-alias, as root, read back from inside
// containers; peers resolve aliases. The alias test uses its own network (random /24 of 10.252.0.0/16).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { EngineEnv, IMAGE, networkSkip } from './harness.js';

const skip = networkSkip;
const tag = crypto.randomBytes(3).toString('hex');
let env: EngineEnv;

before(() => {
  if (!skip) env = new EngineEnv();
});
after(() => {
  if (!env) return;
  const ids = env.hako(['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) env.hako(['rm', '-f', ...ids]);
  env.hako(['network', 'rm', `hkn-${tag}`]);
  assert.deepEqual(env.cleanup(), []);
});

test('--add-host and --dns* write /etc/hosts and /etc/resolv.conf', { skip }, () => {
  // The first container of a fresh root (and VM) may take long: a generous timeout, not a timing check.
  const r = env.hako(
    [
      'run',
      '--rm',
      '--add-host',
      'db.local:10.1.2.3',
      '--add-host',
      'gw=host-gateway',
      '--dns',
      '192.0.2.53',
      '--dns',
      '192.0.2.54',
      '--dns-search',
      'example.test',
      '--dns-option',
      'ndots:2',
      '--dns-option',
      'edns0',
      IMAGE,
      'cat',
      '/etc/hosts',
      '/etc/resolv.conf',
    ],
    { timeout: 600_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /^10\.1\.2\.3\tdb\.local$/m);
  assert.match(out, /^10\.89\.0\.1\tgw$/m, "host-gateway is the default network's gateway");
  assert.match(out, /^search example\.test\nnameserver 192\.0\.2\.53\nnameserver 192\.0\.2\.54\noptions ndots:2 edns0$/m);
  const hostMode = env.ok(['run', '--rm', '--network', 'host', '--add-host', 'db.local:10.1.2.3', IMAGE, 'cat', '/etc/hosts']);
  assert.match(hostMode, /^10\.1\.2\.3\tdb\.local$/m, "also with the host's network");
});

test('bad values and conflicts: one line, status 125, nothing created', { skip }, () => {
  const cases: [string[], string][] = [
    [['--add-host', 'nohost'], 'hako: invalid argument "nohost" for "--add-host" flag: "" is not an IP address or host-gateway (expected NAME:IP)\n'],
    [['--add-host', 'a b:1.2.3.4'], 'hako: invalid argument "a b:1.2.3.4" for "--add-host" flag: "a b" is not a host name (expected NAME:IP)\n'],
    [['--dns', 'resolver'], 'hako: invalid argument "resolver" for "--dns" flag: not an IP address\n'],
    [['--dns-option', 'nd ots'], 'hako: invalid argument "nd ots" for "--dns-option" flag: expected OPTION or OPTION:N (ndots:2, edns0)\n'],
    [['--network', 'host', '--dns', '192.0.2.53'], "hako: --dns: conflicts with --network host (the host's resolv.conf is used)\n"],
    [['--network', 'host', '--network-alias', 'x'], 'hako: --network-alias: needs a network (not --network host)\n'],
  ];
  for (const [flags, stderr] of cases) {
    const r = env.hako(['run', '--rm', ...flags, IMAGE, 'true']);
    assert.equal(r.stderr, stderr, flags.join(' '));
    assert.equal(r.code, 125, flags.join(' '));
  }
  assert.equal(env.hako(['ps', '-aq']).stdout, '', 'no container was left');
});

test('--network-alias: peers on the network resolve the aliases to the container', { skip }, () => {
  const net = `hkn-${tag}`;
  env.ok(['network', 'create', '--subnet', `10.252.${1 + crypto.randomInt(250)}.0/24`, '--bridge', `hkn${tag}`, net]);
  env.ok(['run', '-d', '--name', `svc-${tag}`, '--network', net, '--network-alias', 'db', '--network-alias', 'cache', IMAGE, 'sleep', '1000']);
  const ip = env.ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', `svc-${tag}`]).trim();
  const out = env.ok(['run', '--rm', '--network', net, IMAGE, 'sh', '-c', 'cat /etc/hosts; ping -c 1 -W 5 db; ping -c 1 -W 5 cache']);
  assert.match(out, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tsvc-${tag} db cache$`, 'm'));
  assert.match(out, new RegExp(`PING db \\(${ip.replace(/\./g, '\\.')}\\)[\\s\\S]*PING cache \\(${ip.replace(/\./g, '\\.')}\\)`));
  assert.equal((out.match(/ 0% packet loss/g) ?? []).length, 2);
  const aliases = JSON.parse(env.ok(['inspect', '--format', '{{json .NetworkSettings.Networks}}', `svc-${tag}`]))[net].Aliases;
  assert.deepEqual(aliases, [`svc-${tag}`, 'db', 'cache']);
  env.ok(['rm', '-f', `svc-${tag}`]);
  env.ok(['network', 'rm', net]);
});

test('network connect/disconnect: a created container gets the network and aliases at its start', { skip }, () => {
  const net = `hkn-${tag}`;
  env.ok(['network', 'create', '--subnet', `10.252.${1 + crypto.randomInt(250)}.0/24`, '--bridge', `hkn${tag}`, net]);
  const id = env.ok(['create', '--name', `cn-${tag}`, IMAGE, 'sh', '-c', 'ip -o -4 addr show; cat /etc/hosts']).trim();
  env.ok(['network', 'disconnect', 'bridge', id]);
  const again = env.hako(['network', 'disconnect', 'bridge', id]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^hako: container [0-9a-f]{64} is not connected to network bridge\n$/);
  env.ok(['network', 'connect', '--alias', 'joined', net, `cn-${tag}`]);
  const out = env.ok(['start', '-a', id]);
  assert.match(out, /inet 10\.252\./, 'an address on the connected network');
  assert.doesNotMatch(out, /inet 10\.89\.0\./, 'none on the disconnected default network');
  assert.match(out, new RegExp(`^10\\.252\\.\\S+\\t[0-9a-f]{12} cn-${tag} joined$`, 'm'));
  env.ok(['run', '-d', '--name', `cr-${tag}`, '--network', net, IMAGE, 'sleep', '1000']);
  env.ok(['network', 'disconnect', net, `cr-${tag}`]); // running: at once (network-connect-running.test.ts)
  assert.doesNotMatch(env.ok(['exec', `cr-${tag}`, 'ip', '-o', '-4', 'addr', 'show']), /10\.252\./);
  env.ok(['rm', '-f', `cr-${tag}`, id]);
  env.ok(['network', 'rm', net]);
});

test("--network container:NAME joins that container's namespace and name files", { skip }, () => {
  const base = `base-${tag}`;
  env.ok(['run', '-d', '--name', base, IMAGE, 'sleep', '1000']);
  const theirs = env.ok(['exec', base, 'sh', '-c', 'readlink /proc/self/ns/net; ip -o -4 addr show eth0; cat /etc/hosts']);
  const ours = env.ok([
    'run',
    '--rm',
    '--network',
    `container:${base}`,
    IMAGE,
    'sh',
    '-c',
    'readlink /proc/self/ns/net; ip -o -4 addr show eth0; cat /etc/hosts',
  ]);
  assert.equal(ours, theirs, 'same namespace, same address, same hosts file');
  const cases: [string[], string][] = [
    [['--network', 'container:nosuch'], 'hako: --network container:nosuch: no such container\n'],
    [['--network', `container:${base}`, '-p', '80'], `hako: --publish: conflicts with --network container:${base} (the ports are that container's)\n`],
    [
      ['--network', `container:${base}`, '--dns', '192.0.2.1'],
      `hako: --dns: conflicts with --network container:${base} (its name files are that container's)\n`,
    ],
  ];
  for (const [flags, stderr] of cases) {
    const r = env.hako(['run', '--rm', ...flags, IMAGE, 'true']);
    assert.equal(r.stderr, stderr, flags.join(' '));
    assert.equal(r.code, 125, flags.join(' '));
  }
  env.ok(['stop', '-t', '0', base]);
  const stopped = env.hako(['run', '--rm', '--network', `container:${base}`, IMAGE, 'true']);
  assert.equal(stopped.stderr, `hako: --network container:${base}: that container is not running (its network is not set up)\n`);
  assert.equal(stopped.code, 125);
  env.ok(['rm', base]);
  assert.equal(env.hako(['ps', '-aq']).stdout, '', 'no container was left');
});

test('--network none: lo only, made by the runtime (no pinned namespace); container: joins it', { skip }, () => {
  const base = `none-${tag}`;
  env.ok(['run', '-d', '--name', base, '--network', 'none', IMAGE, 'sleep', '1000']);
  const theirs = env.ok(['exec', base, 'sh', '-c', 'readlink /proc/self/ns/net; ip -o link | cut -d: -f2; ip -o -4 addr']);
  assert.match(theirs, /^net:\[\d+\]\n lo\n1: lo +inet 127\.0\.0\.1\/8/, 'lo alone, up with 127.0.0.1');
  assert.deepEqual(env.pinnedNamespaces(), [], 'nothing pinned for --network none');
  const ours = env.ok([
    'run',
    '--rm',
    '--network',
    `container:${base}`,
    IMAGE,
    'sh',
    '-c',
    'readlink /proc/self/ns/net; ip -o link | cut -d: -f2; ip -o -4 addr',
  ]);
  assert.equal(ours, theirs, 'the same namespace');
  env.ok(['rm', '-f', base]);
});
