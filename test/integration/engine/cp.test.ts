// `hako cp` with real containers: both directions, tar streams, docker's path rules, owners, and the
// container root treated as hostile: symlinks in it (absolute, relative with "..", as the last
// component) resolve inside the container, never to the host's files of the same name, both ways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

let work: string;
/** A directory that exists on the host and, with other content, at the same path in the container. */
let sentinel: string;

before(() => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-cp-'));
  sentinel = fs.mkdtempSync('/var/tmp/hako-cp-sentinel-');
  fs.writeFileSync(path.join(sentinel, 'secret'), 'host secret\n');
  env.ok(['run', '-d', '--name', 'cpc', '--network', 'none', IMAGE, 'sleep', '1000']);
  const setup = [
    `mkdir -p ${sentinel} /data/sub /data/empty`,
    `echo container secret > ${sentinel}/secret`,
    'echo hello > /data/a.txt && chmod 640 /data/a.txt && chown 12:34 /data/a.txt',
    'echo deep > /data/sub/b.txt && ln -s a.txt /data/link-a && chmod 750 /data/sub',
    `ln -s ${sentinel} /abs && ln -s ../../../../../../..${sentinel} /rel && ln -s ${sentinel}/secret /filelink`,
  ].join(' && ');
  env.ok(['exec', 'cpc', 'sh', '-c', setup]);
});
after(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
  if (sentinel) fs.rmSync(sentinel, { recursive: true, force: true });
});

/** The host sentinel is exactly as made: one file with the host's text. */
function sentinelIntact(): void {
  assert.deepEqual(fs.readdirSync(sentinel), ['secret']);
  assert.equal(fs.readFileSync(path.join(sentinel, 'secret'), 'utf8'), 'host secret\n');
}

const inContainer = (cmd: string) => env.ok(['exec', 'cpc', 'sh', '-c', cmd]);

function cp(args: string[], input?: Buffer): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(HAKO, ['--root', env.root, 'cp', ...args], { input: input ?? '', env: { ...process.env, HAKO_ROOT: undefined } });
  return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr.toString() };
}
function cpOk(args: string[], input?: Buffer): Buffer {
  const r = cp(args, input);
  assert.equal(r.code, 0, `hako cp ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function tarEntries(b: Buffer): Promise<Map<string, { type: string; body: string; linkname?: string | null; mode?: number }>> {
  const ex = tar.extract();
  const out = new Map<string, { type: string; body: string; linkname?: string | null; mode?: number }>();
  const done = (async () => {
    for await (const e of ex) {
      let body = '';
      for await (const c of e) body += c;
      out.set(e.header.name, { type: e.header.type ?? '', body, linkname: e.header.linkname, mode: e.header.mode });
    }
  })();
  ex.end(b);
  await done;
  return out;
}

test('container to host: a file, a directory (modes kept), SRC/. into an existing directory', { skip }, () => {
  cpOk(['cpc:/data/a.txt', path.join(work, 'copy.txt')]);
  assert.equal(fs.readFileSync(path.join(work, 'copy.txt'), 'utf8'), 'hello\n');
  assert.equal(fs.statSync(path.join(work, 'copy.txt')).mode & 0o777, 0o640);
  assert.equal(fs.statSync(path.join(work, 'copy.txt')).uid, process.getuid!(), 'the caller owns it without -a');
  cpOk(['cpc:/data', work]);
  assert.equal(fs.readFileSync(path.join(work, 'data', 'sub', 'b.txt'), 'utf8'), 'deep\n');
  assert.equal(fs.statSync(path.join(work, 'data', 'sub')).mode & 0o777, 0o750);
  assert.equal(fs.readlinkSync(path.join(work, 'data', 'link-a')), 'a.txt', 'a symlink is copied as a symlink');
  assert.ok(fs.statSync(path.join(work, 'data', 'empty')).isDirectory());
  fs.mkdirSync(path.join(work, 'into'));
  cpOk(['-a', 'cpc:/data/.', path.join(work, 'into')]);
  assert.deepEqual(fs.readdirSync(path.join(work, 'into')).sort(), ['a.txt', 'empty', 'link-a', 'sub']);
  const st = fs.statSync(path.join(work, 'into', 'a.txt'));
  assert.deepEqual([st.uid, st.gid], [12, 34], '-a keeps the owners');
  cpOk(['cpc:/data', path.join(work, 'renamed')]);
  assert.ok(fs.existsSync(path.join(work, 'renamed', 'sub', 'b.txt')), 'a missing DEST becomes the directory');
});

test('host to container: a file, a directory, owners root without -a', { skip }, () => {
  fs.mkdirSync(path.join(work, 'up', 'inner'), { recursive: true });
  fs.writeFileSync(path.join(work, 'up', 'inner', 'f'), 'from host\n', { mode: 0o604 });
  fs.chownSync(path.join(work, 'up', 'inner', 'f'), 1000, 1000);
  cpOk([path.join(work, 'up'), 'cpc:/data']);
  assert.equal(inContainer('cat /data/up/inner/f; stat -c "%u:%g %a" /data/up/inner/f'), 'from host\n0:0 604\n');
  cpOk(['-a', path.join(work, 'up', 'inner', 'f'), 'cpc:/data/renamed-f']);
  assert.equal(inContainer('stat -c "%u:%g" /data/renamed-f'), '1000:1000\n');
});

test("tar streams: CONTAINER:SRC - writes docker's tar; - CONTAINER:DIR extracts one", { skip }, async () => {
  const out = await tarEntries(cpOk(['cpc:/data/sub', '-']));
  assert.equal(out.get('sub/')?.type, 'directory');
  assert.equal(out.get('sub/b.txt')?.body, 'deep\n');
  const link = await tarEntries(cpOk(['cpc:/data/link-a', '-']));
  assert.deepEqual([...link.keys()], ['link-a']);
  assert.equal(link.get('link-a')?.linkname, 'a.txt');
  const pack = tar.pack();
  pack.entry({ name: 'streamed/', type: 'directory', mode: 0o755 });
  pack.entry({ name: 'streamed/x.txt', mode: 0o600 }, 'tar content\n');
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack) parts.push(c as Buffer);
  cpOk(['-', 'cpc:/data'], Buffer.concat(parts));
  assert.equal(inContainer('cat /data/streamed/x.txt; stat -c %a /data/streamed/x.txt'), 'tar content\n600\n');
});

test("hostile: container symlinks to a host path lead to the container's files, never the host's (out)", { skip }, async () => {
  for (const via of ['/abs', '/rel', '/filelink']) {
    const src = via === '/filelink' ? `cpc:${via}` : `cpc:${via}/secret`;
    const dest = path.join(work, `out${via.slice(1)}`);
    cpOk(['-L', src, dest]);
    assert.equal(fs.readFileSync(dest, 'utf8'), 'container secret\n', `${via}: resolved inside the container`);
    const t = await tarEntries(cpOk([via === '/filelink' ? `cpc:${via}` : `cpc:${via}/`, '-', '-L']));
    assert.ok(
      [...t.values()].some((e) => e.body === 'container secret\n'),
      `${via} as a tar`,
    );
    assert.ok(![...t.values()].some((e) => e.body === 'host secret\n'));
  }
  // Without -L the link itself is copied, with its target as text.
  cpOk(['cpc:/abs', path.join(work, 'abs-link')]);
  assert.equal(fs.readlinkSync(path.join(work, 'abs-link')), sentinel);
  sentinelIntact();
});

test('hostile: copying into a container through its symlinks stays in the container (in)', { skip }, async () => {
  fs.writeFileSync(path.join(work, 'payload'), 'payload\n');
  cpOk([path.join(work, 'payload'), 'cpc:/abs/']);
  cpOk([path.join(work, 'payload'), 'cpc:/rel/payload2']);
  cpOk([path.join(work, 'payload'), 'cpc:/filelink']); // DEST a symlink to a file: that file, in the container
  const pack = tar.pack();
  pack.entry({ name: 'tarred' }, 'tarred\n');
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack) parts.push(c as Buffer);
  cpOk(['-', 'cpc:/abs'], Buffer.concat(parts));
  assert.equal(inContainer(`cat ${sentinel}/payload ${sentinel}/payload2 ${sentinel}/secret ${sentinel}/tarred`), 'payload\npayload\npayload\ntarred\n');
  assert.equal(inContainer('readlink /filelink'), `${sentinel}/secret\n`, 'the link itself is kept');
  sentinelIntact();
  // A tar entry climbing out of the destination is refused, and nothing of it lands.
  const evil = tar.pack();
  evil.entry({ name: '../../../../../../..' + sentinel + '/climbed' }, 'x');
  evil.finalize();
  const ep: Buffer[] = [];
  for await (const c of evil) ep.push(c as Buffer);
  const r = cp(['-', 'cpc:/data'], Buffer.concat(ep));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^hako: /);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  sentinelIntact();
});

test('a stopped container can be copied from and to', { skip }, () => {
  env.ok(['create', '--name', 'cps', IMAGE, 'true']);
  cpOk([path.join(work, 'payload'), 'cps:/payload']);
  cpOk(['cps:/payload', path.join(work, 'back')]);
  assert.equal(fs.readFileSync(path.join(work, 'back'), 'utf8'), 'payload\n');
  env.ok(['rm', 'cps']);
});

test('errors are one line: missing paths, wrong kinds, no container', { skip }, () => {
  const cases: [string[], number, RegExp][] = [
    [['cpc:/nonexistent', work], 1, /could not find the file \/nonexistent in container cpc/],
    [['cpc:/data', path.join(work, 'copy.txt')], 1, /cannot copy a directory to a file/],
    [['cpc:/data/a.txt/', work], 1, /not a directory/],
    [['cpc:/data/a.txt', path.join(work, 'nodir', 'x')], 1, /no such directory/],
    [[path.join(work, 'absent'), 'cpc:/data'], 1, /could not find the file/],
    [['nosuchcontainer:/x', work], 1, /nosuchcontainer/],
    [[work, path.join(work, 'x')], 1, /must specify at least one container/],
    [['--bad', 'cpc:/x', work], 125, /unknown flag: --bad/],
  ];
  for (const [args, code, re] of cases) {
    const r = cp(args);
    assert.equal(r.code, code, `cp ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
