// The CNI executor against fake plugins (small Node scripts in a temp dir): what each plugin gets
// (env and stdin), ADD order and prevResult chaining, DEL in reverse and past failures, error mapping.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CniExecutor, CniError, errorFromOutput, parseConfList, parseResult, pluginStdin, type ConfList } from '../../../src/network/cni.js';
import { HakoError } from '../../../src/util/errors.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-cni-unit-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const log = path.join(dir, 'log.jsonl');

// Every fake plugin logs {type, env, stdin}; `ip` adds an address, `pass` returns prevResult
// unchanged, `fail` prints a CNI error, `garbage` prints non-JSON, `crash` exits without output.
function fake(type: string, body: string): void {
  const file = path.join(dir, type);
  fs.writeFileSync(
    file,
    `#!${process.execPath}
const fs = require('fs');
const stdin = JSON.parse(fs.readFileSync(0, 'utf8'));
const env = {}; for (const k of Object.keys(process.env)) if (k.startsWith('CNI_') || k === 'PATH') env[k] = process.env[k];
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ type: ${JSON.stringify(type)}, env, stdin }) + '\\n');
${body}
`,
    { mode: 0o755 },
  );
}
fake(
  'ip',
  `if (env.CNI_COMMAND === 'ADD') process.stdout.write(JSON.stringify({ cniVersion: '1.0.0',
  interfaces: [{ name: 'br0' }, { name: env.CNI_IFNAME, mac: '02:00:00:00:00:01', sandbox: env.CNI_NETNS }],
  ips: [{ address: '10.1.2.3/24', gateway: '10.1.2.1', interface: 1 }] }));`,
);
fake('pass', `if (env.CNI_COMMAND === 'ADD') process.stdout.write(JSON.stringify(stdin.prevResult));`);
fake('fail', `process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', code: 7, msg: 'bad config', details: 'field x' })); process.exit(1);`);
fake('garbage', `process.stdout.write('not json'); process.exit(env.CNI_COMMAND === 'ADD' ? 0 : 2);`);
fake('crash', `process.stderr.write('panic: boom\\n'); process.exit(2);`);

const calls = (): { type: string; env: Record<string, string>; stdin: Record<string, unknown> }[] =>
  fs.existsSync(log)
    ? fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
    : [];
const reset = () => fs.rmSync(log, { force: true });
const exec = new CniExecutor({ pluginDirs: [dir] });
const list = (...types: string[]): ConfList => ({ cniVersion: '1.0.0', name: 'net1', plugins: types.map((type) => ({ type, extra: type })) });
const rt = { containerId: 'ctr1', netns: '/proc/1/ns/net', ifName: 'eth0', args: { A: '1', B: 'two' } };

test('ADD runs plugins in order with the CNI env, name/cniVersion injected and prevResult chained', async () => {
  reset();
  const r = await exec.add(list('ip', 'pass'), rt);
  assert.deepEqual(r.ips, [{ address: '10.1.2.3/24', gateway: '10.1.2.1', interface: 1 }]);
  const c = calls();
  assert.deepEqual(
    c.map((x) => x.type),
    ['ip', 'pass'],
  );
  assert.deepEqual(c[0].env, {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'ctr1',
    CNI_NETNS: '/proc/1/ns/net',
    CNI_IFNAME: 'eth0',
    CNI_ARGS: 'A=1;B=two',
    CNI_PATH: dir,
    PATH: c[0].env.PATH,
  });
  assert.match(c[0].env.PATH, /\/usr\/sbin/);
  assert.equal(c[0].stdin.name, 'net1');
  assert.equal(c[0].stdin.cniVersion, '1.0.0');
  assert.equal(c[0].stdin.extra, 'ip');
  assert.equal(c[0].stdin.prevResult, undefined);
  assert.deepEqual(c[1].stdin.prevResult, r);
});

test('DEL runs in reverse with the cached result and goes on after a failure', async () => {
  reset();
  const prev = { cniVersion: '1.0.0', ips: [{ address: '10.1.2.3/24' }] };
  const errors = await exec.del(list('ip', 'fail', 'pass'), rt, prev);
  assert.deepEqual(
    calls().map((x) => [x.type, x.env.CNI_COMMAND]),
    [
      ['pass', 'DEL'],
      ['fail', 'DEL'],
      ['ip', 'DEL'],
    ],
  );
  assert.ok(calls().every((x) => JSON.stringify(x.stdin.prevResult) === JSON.stringify(prev)));
  assert.equal(errors.length, 1);
  assert.equal(errors[0].plugin, 'fail');
  assert.equal(errors[0].code, 7);
});

test('a failing plugin stops ADD with one line naming network, plugin, message, details and code', async () => {
  reset();
  await assert.rejects(exec.add(list('ip', 'fail', 'pass'), rt), (e: unknown) => {
    assert.ok(e instanceof CniError && e instanceof HakoError);
    assert.equal(e.message, 'network "net1": CNI plugin fail ADD failed: bad config: field x (CNI error 7: invalid network config)');
    // What `ip` returned: the rollback's DEL needs it to undo `ip`'s part.
    assert.deepEqual(e.partialResult?.ips, [{ address: '10.1.2.3/24', gateway: '10.1.2.1', interface: 1 }]);
    return true;
  });
  assert.deepEqual(
    calls().map((x) => x.type),
    ['ip', 'fail'],
  );
});

test('non-JSON results, crashes and missing plugins are CniErrors too', async () => {
  await assert.rejects(exec.add(list('garbage'), rt), /CNI plugin garbage ADD failed: result is not JSON: "not json"/);
  await assert.rejects(exec.add(list('crash'), rt), /CNI plugin crash ADD failed: exit status 2: panic: boom/);
  await assert.rejects(exec.add(list('nosuch'), rt), /CNI plugin nosuch ADD failed: CNI plugin "nosuch" not found in /);
  const errors = await exec.del(list('nosuch', 'garbage'), rt);
  assert.deepEqual(
    errors.map((e) => e.plugin),
    ['garbage', 'nosuch'],
  );
});

test('CHECK passes prevResult to every plugin and is skipped with disableCheck', async () => {
  reset();
  const prev = { cniVersion: '1.0.0' };
  await exec.check(list('ip', 'pass'), rt, prev);
  assert.deepEqual(
    calls().map((x) => [x.type, x.env.CNI_COMMAND, JSON.stringify(x.stdin.prevResult)]),
    [
      ['ip', 'CHECK', '{"cniVersion":"1.0.0"}'],
      ['pass', 'CHECK', '{"cniVersion":"1.0.0"}'],
    ],
  );
  reset();
  await exec.check({ ...list('fail'), disableCheck: true }, rt, prev);
  assert.equal(calls().length, 0);
});

test('runtimeConfig carries only the capabilities a plugin declares', () => {
  const l: ConfList = {
    cniVersion: '1.0.0',
    name: 'n',
    plugins: [{ type: 'bridge' }, { type: 'portmap', capabilities: { portMappings: true, aliases: false } }],
  };
  const caps = { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], aliases: { n: ['a'] } };
  assert.equal(pluginStdin(l, l.plugins[0], { ...rt, capabilityArgs: caps }).runtimeConfig, undefined);
  assert.deepEqual(pluginStdin(l, l.plugins[1], { ...rt, capabilityArgs: caps }).runtimeConfig, { portMappings: caps.portMappings });
  assert.equal(pluginStdin(l, l.plugins[1], rt).runtimeConfig, undefined);
});

test('conflist validation names the field', () => {
  assert.throws(() => parseConfList('{', 'x.conflist'), /^HakoError: x.conflist: not valid JSON/);
  assert.throws(() => parseConfList('{"name":"n","cniVersion":"0.3.1","plugins":[{"type":"a"}]}', 'x'), /x: cniVersion: "0.3.1" is not supported/);
  assert.throws(() => parseConfList('{"name":"n","cniVersion":"1.0.0","plugins":[]}', 'x'), /x: plugins: must be a non-empty array/);
  assert.throws(() => parseConfList('{"name":"n","cniVersion":"1.0.0","plugins":[{"type":"../x"}]}', 'x'), /x: plugins\[0\].type/);
  assert.throws(() => parseConfList('{"name":"a b","cniVersion":"1.0.0","plugins":[{"type":"x"}]}', 'x'), /x: name:/);
  assert.equal(parseConfList('{"name":"n","cniVersion":"0.4.0","plugins":[{"type":"x"}]}', 'x').name, 'n');
});

test('result parsing and error mapping', () => {
  assert.deepEqual(parseResult('{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.0.0.2/24"}]}', 'n', 'p').ips, [
    { version: '4', address: '10.0.0.2/24' },
  ]);
  assert.throws(() => parseResult('{"cniVersion":"1.0.0","ips":{}}', 'n', 'p'), /result field ips is not an array/);
  assert.throws(() => parseResult('{"ips":[]}', 'n', 'p'), /result has no cniVersion/);
  assert.throws(() => parseResult('{"cniVersion":"1.0.0","ips":[{}]}', 'n', 'p'), /ips\[0\].address is missing/);
  const e = errorFromOutput('n', 'bridge', 'DEL', '{"code":11,"msg":"busy"}', '', 'exit status 1');
  assert.equal(e.message, 'network "n": CNI plugin bridge DEL failed: busy (CNI error 11: try again later)');
  const e2 = errorFromOutput('n', 'bridge', 'ADD', '{"code":999,"msg":"m","details":"m"}', '', 'exit status 1');
  assert.equal(e2.message, 'network "n": CNI plugin bridge ADD failed: m (CNI error 999)');
  const e3 = errorFromOutput('n', 'x', 'ADD', '', 'line1\nlast line\n', 'exit status 3');
  assert.equal(e3.message, 'network "n": CNI plugin x ADD failed: exit status 3: last line');
});
