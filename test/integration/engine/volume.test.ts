// `hako volume create|ls|inspect|rm|prune` with real containers writing into the volumes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

function fails(args: string[], code: number, re: RegExp, input?: string): void {
  const r = env.hako(args, { input });
  assert.equal(r.code, code, `hako ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
}

test('create, ls, inspect: names, labels, idempotence, a random name', { skip }, () => {
  assert.equal(env.ok(['volume', 'create', '--label', 'team=a', 'data1']), 'data1\n');
  assert.equal(env.ok(['volume', 'create', 'data1']), 'data1\n', 'an existing volume is returned as it is');
  const random = env.ok(['volume', 'create']).trim();
  assert.match(random, /^[0-9a-f]{64}$/);
  // Listed by name, as docker does: where the random name falls depends on its first digits.
  const rows = [random, 'data1'].sort().map((n) => `local\\s+${n}\\n`);
  assert.match(env.ok(['volume', 'ls']), new RegExp(`^DRIVER\\s+VOLUME NAME\\n${rows.join('')}$`));
  assert.equal(env.ok(['volume', 'ls', '-q', '--filter', 'label=team=a']), 'data1\n');
  assert.equal(env.ok(['volume', 'ls', '-q', '--filter', 'name=ata']), 'data1\n');
  const [doc] = JSON.parse(env.ok(['volume', 'inspect', 'data1']));
  assert.equal(doc.Name, 'data1');
  assert.equal(doc.Driver, 'local');
  assert.deepEqual(doc.Labels, { team: 'a' });
  assert.equal(doc.Mountpoint, path.join(env.root, 'volumes', 'data1', '_data'));
  assert.ok(Date.now() - Date.parse(doc.CreatedAt) < 600_000);
  assert.equal(env.ok(['volume', 'inspect', '--format', '{{.Mountpoint}}', 'data1']), `${doc.Mountpoint}\n`);
  env.ok(['volume', 'rm', random]);
});

test('containers share a volume; rm is refused while a container uses it', { skip }, () => {
  env.ok(['run', '--rm', '--network', 'none', '-v', 'data1:/data', IMAGE, 'sh', '-c', 'echo shared > /data/f']);
  assert.equal(env.ok(['run', '--rm', '--network', 'none', '-v', 'data1:/mnt', IMAGE, 'cat', '/mnt/f']), 'shared\n');
  const id = env.ok(['create', '--name', 'holder', '-v', 'data1:/data', IMAGE, 'true']).trim();
  assert.equal(env.ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), '');
  fails(['volume', 'rm', 'data1'], 1, new RegExp(`volume is in use - \\[${id}\\]`));
  env.ok(['rm', 'holder']);
  assert.equal(env.ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), 'data1\n');
  assert.equal(env.ok(['volume', 'rm', 'data1']), 'data1\n');
  assert.ok(!fs.existsSync(path.join(env.root, 'volumes', 'data1')));
  fails(['volume', 'rm', 'data1'], 1, /no such volume: data1/);
  assert.equal(env.ok(['volume', 'rm', '-f', 'data1']), '');
});

test("bad input: one line, docker's statuses", { skip }, () => {
  fails(['volume', 'create', 'bad/name'], 1, /includes invalid characters for a local volume name/);
  fails(['volume', 'create', '--driver', 'nfs', 'x'], 1, /driver "nfs" is not supported/);
  fails(['volume', 'create', '-o', 'type=tmpfs', 'x'], 1, /driver option "type" is not supported/);
  fails(['volume', 'create', '--bogus'], 125, /unknown flag: --bogus/);
  fails(['volume', 'inspect', 'absent'], 1, /no such volume: absent/);
  fails(['volume', 'ls', '--filter', 'color=red'], 1, /invalid filter "color=red"/);
  fails(['volume', 'frobnicate'], 1, /volume: unknown command "frobnicate"/);
});

test('prune: anonymous unused volumes only (-a: named too), asked first, space reported', { skip }, () => {
  env.ok(['run', '--name', 'anon', '--network', 'none', '-v', '/scratch', IMAGE, 'sh', '-c', 'head -c 3000 /dev/zero > /scratch/f']);
  const anon = JSON.parse(env.ok(['inspect', '--format', '{{json .Mounts}}', 'anon']))[0].Name as string;
  assert.match(anon, /^anon-/);
  env.ok(['rm', 'anon']); // without -v: the anonymous volume stays
  env.ok(['volume', 'create', 'named']);
  const asked = env.hako(['volume', 'prune'], { input: 'n\n' });
  assert.equal(asked.code, 0);
  assert.match(
    asked.stdout,
    /^WARNING! This will remove all anonymous local volumes not used by at least one container\.\nAre you sure you want to continue\? \[y\/N\] /,
  );
  assert.ok(fs.existsSync(path.join(env.root, 'volumes', anon)), 'answered no: nothing removed');
  const out = env.hako(['volume', 'prune'], { input: 'y\n' }).stdout;
  assert.match(out, new RegExp(`Deleted Volumes:\\n${anon}\\n\\nTotal reclaimed space: 3kB\\n$`));
  assert.deepEqual(env.ok(['volume', 'ls', '-q']).split('\n').filter(Boolean), ['named']);
  assert.equal(env.ok(['volume', 'prune', '-f', '-a']), 'Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n');
  assert.equal(env.ok(['volume', 'ls', '-q']), '');
});
