// docker's `run --ip`, `--ip6` and `--mac-address` on the bridge driver, as root: the container gets
// exactly those (seen from inside), a taken address is refused naming the container holding it (also
// when two runs race for it), and docker's refusals hold: the default network, a network whose
// subnet hako picked, an address outside the subnet or the gateway, malformed values, host mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { HAKO, IMAGE, networkSkip, useEngineEnv, type EngineEnv } from './harness.js';

const skip = networkSkip || (!fs.existsSync('/proc/sys/net/ipv6') && 'IPv6 is off in this kernel');
let env: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});
// four hex digits without a leading zero: the group prints as written (RFC 5952)
const tag = (0x1000 + crypto.randomInt(0xefff)).toString(16);
const NET = `hks-${tag}`;
const x = 1 + crypto.randomInt(250);
const V4 = `10.249.${x}.0/24`;
const ip = (n: number) => `10.249.${x}.${n}`;
const V6 = `fd02:${tag}::/64`;

function runAsync(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(HAKO, ['--root', env.root, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HAKO_ROOT: undefined } });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    p.on('close', (code) => resolve({ code: code ?? 128, stderr }));
  });
}

test('--ip, --ip6 and --mac-address: the container has exactly those', { skip }, () => {
  env.ok(['network', 'create', '--ipv6', '--subnet', V4, '--subnet', V6, '--bridge', `hks${tag}`, NET]);
  env.ok([
    'run',
    '-d',
    '--name',
    `s1-${tag}`,
    '--network',
    NET,
    '--ip',
    ip(50),
    '--ip6',
    `FD02:${tag}:0::50`,
    '--mac-address',
    '02:AA:bb:cc:dd:ee',
    IMAGE,
    'sleep',
    '1000',
  ]);
  const link = env.ok(['exec', `s1-${tag}`, 'ip', 'addr', 'show', 'eth0']);
  assert.match(link, /link\/ether 02:aa:bb:cc:dd:ee /);
  assert.match(link, new RegExp(`inet ${ip(50).replace(/\./g, '\\.')}/24 `));
  assert.match(link, new RegExp(`inet6 fd02:${tag}::50/64 scope global`));
  const ns = JSON.parse(env.ok(['inspect', `s1-${tag}`]))[0].NetworkSettings;
  assert.deepEqual([ns.IPAddress, ns.GlobalIPv6Address, ns.MacAddress], [ip(50), `fd02:${tag}::50`, '02:aa:bb:cc:dd:ee']);
});

test('a taken address is refused naming its holder; nothing is left of the refused container', { skip }, () => {
  const before = env.ok(['ps', '-aq']);
  for (const [flag, value] of [
    ['--ip', ip(50)],
    ['--ip6', `fd02:${tag}::50`],
  ]) {
    const r = env.hako(['run', '--rm', '--network', NET, flag, value, IMAGE, 'true']);
    assert.equal(r.code, 125, flag);
    assert.equal(r.stderr, `hako: ${flag} ${value}: address already in use by container s1-${tag}\n`);
  }
  assert.equal(env.ok(['ps', '-aq']), before);
});

test('two runs racing for one --ip: one gets it, the other is refused naming the winner', { skip }, async () => {
  const names = [`r1-${tag}`, `r2-${tag}`];
  const results = await Promise.all(names.map((n) => runAsync(['run', '-d', '--name', n, '--network', NET, '--ip', ip(60), IMAGE, 'sleep', '1000'])));
  const won = results.findIndex((r) => r.code === 0);
  assert.ok(won >= 0, results.map((r) => r.stderr).join(' | '));
  const lost = results[1 - won];
  assert.equal(lost.code, 125, 'exactly one wins');
  assert.match(
    lost.stderr,
    new RegExp(`^hako: (network "${NET}": )?--ip ${ip(60).replace(/\./g, '\\.')}: address already in use by container ${names[won]}\\n`),
  );
  assert.equal(env.ok(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', names[won]]).trim(), ip(60));
  env.hako(['rm', '-f', ...names]);
});

test("docker's refusals: default network, hako-picked subnet, outside the subnet, gateway, bad values, host", { skip }, () => {
  env.ok(['network', 'create', `${NET}-auto`]);
  const cases: [string[], string][] = [
    [['--ip', '10.89.0.50'], 'hako: user specified IP address is supported on user defined networks only\n'],
    [
      ['--network', `${NET}-auto`, '--ip', '10.89.200.5'],
      'hako: user specified IP address is supported only when connecting to networks with user configured subnets\n',
    ],
    [['--network', NET, '--ip', `10.249.${(x % 250) + 1}.5`], `hako: --ip 10.249.${(x % 250) + 1}.5: not a host address of the network's subnet ${V4}\n`],
    [['--network', NET, '--ip', ip(255)], `hako: --ip ${ip(255)}: not a host address of the network's subnet ${V4}\n`],
    [['--network', NET, '--ip', ip(1)], `hako: --ip ${ip(1)}: is the network's gateway\n`],
    [['--network', NET, '--ip', '300.1.1.1'], 'hako: invalid argument "300.1.1.1" for "--ip" flag: 300.1.1.1 is not an IPv4 address\n'],
    [['--network', NET, '--ip6', 'fd02::zz'], 'hako: invalid argument "fd02::zz" for "--ip6" flag: fd02::zz is not an IPv6 address\n'],
    [
      ['--network', `${NET}-auto`, '--mac-address', '01:00:5e:00:00:01'],
      'hako: invalid argument "01:00:5e:00:00:01" for "--mac-address" flag: 01:00:5e:00:00:01 is a multicast address, not an interface\'s\n',
    ],
    [
      ['--network', `${NET}-auto`, '--mac-address', '02:00:00:00:00'],
      'hako: invalid argument "02:00:00:00:00" for "--mac-address" flag: 02:00:00:00:00 is not a valid mac address\n',
    ],
    [['--network', 'host', '--mac-address', '02:00:00:00:00:01'], 'hako: conflicting options: --mac-address and the network mode (host)\n'],
    [['--network', 'none', '--ip', '10.1.1.1'], 'hako: conflicting options: --ip and the network mode (none)\n'],
  ];
  const before = env.ok(['ps', '-aq']);
  for (const [args, want] of cases) {
    const r = env.hako(['run', '--rm', ...args, IMAGE, 'true']);
    assert.equal(r.code, 125, args.join(' '));
    assert.equal(r.stderr, want, args.join(' '));
  }
  assert.equal(env.ok(['ps', '-aq']), before, 'no container made by a refusal');
  env.ok(['rm', '-f', `s1-${tag}`]);
});
