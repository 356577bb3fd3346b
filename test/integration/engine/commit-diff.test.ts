// `hako diff` and `hako commit` with real containers: adds, changes and deletes (whiteouts, opaque
// directories) seen by diff, and an image committed from them that runs with them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type EngineEnv, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

const CHANGES = 'mkdir /newdir && echo hi > /newdir/f && rm /bin/ls && echo extra >> /etc/passwd && rm -rf /home && mkdir /home && touch /home/only';

test("diff lists what the container added, changed and deleted (not the engine's mount points)", { skip }, () => {
  env.ok(['run', '--name', 'changed', '--network', 'none', IMAGE, 'sh', '-c', CHANGES]);
  assert.equal(
    env.ok(['diff', 'changed']),
    ['C /bin', 'D /bin/ls', 'C /etc', 'C /etc/passwd', 'C /home', 'A /home/only', 'A /newdir', 'A /newdir/f', ''].join('\n'),
  );
  env.ok(['create', '--name', 'pristine', IMAGE, 'true']);
  assert.equal(env.ok(['diff', 'pristine']), '');
  assert.match(env.hako(['diff', 'nosuch']).stderr, /nosuch/);
  env.ok(['rm', 'pristine']);
});

test('commit makes an image with the changes (whiteouts and opaque dirs kept), --change and -m applied', { skip }, () => {
  const id = env
    .ok(['commit', '-a', 'me', '-m', 'my change', '-c', 'CMD ["cat","/newdir/f"]', '-c', 'ENV COMMITTED=yes', 'changed', 'hako.test/committed:1'])
    .trim();
  assert.match(id, /^sha256:[0-9a-f]{64}$/);
  assert.equal(env.ok(['run', '--rm', '--network', 'none', 'hako.test/committed:1']), 'hi\n', 'the new CMD and the added file');
  const seen = env.hako([
    'run',
    '--rm',
    '--network',
    'none',
    'hako.test/committed:1',
    'sh',
    '-c',
    'ls /bin/ls; ls -A /home; tail -1 /etc/passwd; echo $COMMITTED',
  ]);
  assert.equal(seen.stdout, 'only\nextra\nyes\n', 'ls deleted, /home opaque, passwd changed, ENV set');
  assert.match(seen.stderr, /\/bin\/ls: No such file or directory/);
  const [img] = JSON.parse(env.ok(['inspect', '--type', 'image', 'hako.test/committed:1']));
  assert.equal(img.Id, id);
  const history = env.ok(['history', 'hako.test/committed:1']).split('\n');
  assert.match(history[1], /my change$/);
  // Without a name: kept by digest (dangling), the ID printed.
  const anon = env.ok(['commit', 'changed']).trim();
  assert.match(anon, /^sha256:/);
  assert.match(env.ok(['image', 'prune', '-f']), /untagged: hako\.local\/committed@sha256:/);
  assert.match(env.hako(['commit', '-c', 'FROM x', 'changed']).stderr, /FROM is not supported/);
  env.ok(['rm', 'changed']);
});

test('commit of a running container pauses it while reading, then lets it run on', { skip }, () => {
  env.ok(['run', '-d', '--name', 'live', '--network', 'none', IMAGE, 'sh', '-c', 'echo live > /state; sleep 1000']);
  env.ok(['exec', 'live', 'sh', '-c', 'test -f /state']);
  env.ok(['commit', 'live', 'hako.test/live:1']);
  assert.equal(env.inspect('live').State.Status, 'running');
  assert.equal(env.ok(['inspect', '--format', '{{.State.Paused}}', 'live']), 'false\n');
  assert.equal(env.ok(['run', '--rm', '--network', 'none', 'hako.test/live:1', 'cat', '/state']), 'live\n');
  env.ok(['rm', '-f', 'live']);
});
