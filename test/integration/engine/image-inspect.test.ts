// The engine end to end, as root: `image inspect` and `inspect` of an image print docker's
// ImageInspect document (the Docker API's), so docker's --format templates read the same fields.
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

const DOCKERFILE = `FROM ${IMAGE}
ENV GREETING=hi
WORKDIR /srv
USER 1000:1000
LABEL team=blue
EXPOSE 8080/tcp
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD true
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo hello"]
`;

/** An image with every Config field docker shows, built from DOCKERFILE. */
function buildConfigured(tag: string): void {
  const ctx = path.join(env.root, 'ctx');
  fs.mkdirSync(ctx, { recursive: true });
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), DOCKERFILE);
  env.ok(['build', '-q', '-t', tag, ctx]);
}

test("image inspect prints docker's ImageInspect document", { skip }, () => {
  buildConfigured('hako.local/configured:1');
  const [doc] = JSON.parse(env.ok(['image', 'inspect', 'hako.local/configured:1']));
  assert.match(doc.Id, /^sha256:[0-9a-f]{64}$/);
  assert.deepEqual(doc.RepoTags, ['hako.local/configured:1']);
  assert.ok(Array.isArray(doc.RepoDigests));
  assert.equal(doc.Parent, '');
  assert.ok(!Number.isNaN(Date.parse(doc.Created)));
  assert.equal(doc.Os, 'linux');
  assert.equal(typeof doc.Architecture, 'string');
  assert.ok(doc.Size > 0);
  assert.equal(doc.RootFS.Type, 'layers');
  assert.ok(doc.RootFS.Layers.length >= 1);
  for (const l of doc.RootFS.Layers) assert.match(l, /^sha256:[0-9a-f]{64}$/);
  assert.ok('LastTagTime' in doc.Metadata);
  const c = doc.Config;
  assert.deepEqual(c.Cmd, ['echo hello']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
  assert.ok(c.Env.includes('GREETING=hi'));
  assert.equal(c.WorkingDir, '/srv');
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.Labels, { team: 'blue' });
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {} });
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.Healthcheck.Test, ['CMD-SHELL', 'true']);
  assert.equal(c.Healthcheck.Interval, 5e9);
  assert.equal(c.Healthcheck.Retries, 2);
  // `hako inspect` of an image is the same document.
  assert.deepEqual(JSON.parse(env.ok(['inspect', 'hako.local/configured:1']))[0], doc);
});

test("image inspect --format reads docker's fields", { skip }, () => {
  const fmt = (t: string, ref = IMAGE) => env.ok(['image', 'inspect', '--format', t, ref]).trimEnd();
  const layers = JSON.parse(env.ok(['image', 'inspect', IMAGE]))[0].RootFS.Layers as string[];
  assert.equal(fmt('{{.RootFS.Layers}}'), `[${layers.join(' ')}]`);
  assert.equal(fmt('{{.Os}}/{{.Architecture}}'), `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`);
  assert.match(fmt('{{.Id}}'), /^sha256:[0-9a-f]{64}$/);
  buildConfigured('hako.local/configured:2');
  assert.equal(fmt('{{.Config.Cmd}}', 'hako.local/configured:2'), '[echo hello]');
  assert.equal(fmt('{{.Config.StopSignal}} {{.Config.WorkingDir}}', 'hako.local/configured:2'), 'SIGINT /srv');
  assert.equal(fmt('{{json .Config.Entrypoint}}', 'hako.local/configured:2'), '["/bin/sh","-c"]');
  const config = JSON.parse(fmt('{{json .Config}}', 'hako.local/configured:2'));
  assert.equal(config.User, '1000:1000');
  assert.equal(fmt('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}{{end}}', 'hako.local/configured:2'), 'team=blue');
  // Both builds made the same image: one ID, both tags.
  assert.deepEqual(fmt('{{join .RepoTags ","}}', 'hako.local/configured:2').split(',').sort(), ['hako.local/configured:1', 'hako.local/configured:2']);
});

test('image inspect names a missing image and only looks at images', { skip }, () => {
  let r = env.hako(['image', 'inspect', 'hako.local/nothing:here']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No such image: hako\.local\/nothing:here/);
  assert.equal(r.stdout, '[]\n');
  const id = env.ok(['create', '--name', 'notanimage', IMAGE, 'true']).trim();
  r = env.hako(['image', 'inspect', 'notanimage']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No such image: notanimage/);
  r = env.hako(['inspect', 'hako.local/nothing:here']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No such object: hako\.local\/nothing:here/);
  r = env.hako(['inspect', '--type', 'volume', IMAGE]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--type/);
  env.ok(['rm', id]);
});
