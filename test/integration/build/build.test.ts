// `hako build`: Dockerfiles built into the store of a test engine root, the results run with
// `hako run` and every instruction's effect checked from inside the container; the cache, --target,
// --build-arg, .dockerignore; bad Dockerfiles; and nothing left behind (mounts, build directories,
// runtime state, cgroups of RUN steps).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { HAKO, engineSkip, useEngineEnv, type EngineEnv } from '../engine/harness.js';
import { contextDir, layerNames, leftBehind, tarFile } from './helpers.js';

let env: EngineEnv;
useEngineEnv(engineSkip, (e) => {
  env = e;
});
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function ctx(files: Record<string, string | Buffer>): string {
  const d = contextDir(files);
  dirs.push(d);
  return d;
}

/** Runs a container of `image` (no network) and returns its stdout; fails on a non-zero exit. */
function run(image: string, ...cmd: string[]): string {
  return env.ok(['run', '--rm', '--network', 'none', image, ...cmd]);
}

const APP = `# a static busybox-based app, built in one stage and copied into scratch
ARG BASE=hako.local/busybox
FROM $BASE AS build
WORKDIR /src
COPY app.sh ./
RUN chmod 755 app.sh && mkdir -p /out/bin && cp /bin/busybox /out/bin/busybox \\
 && for a in sh echo cat; do ln -s busybox /out/bin/$a; done && cp app.sh /out/bin/app

FROM scratch AS app
COPY --from=build /out/ /
ENV GREETING=hello
ENTRYPOINT ["/bin/app"]
CMD ["world"]
`;

describe('hako build', { skip: engineSkip }, () => {
  it('builds a multi-stage app image, runs it, and takes every step from the cache the second time', () => {
    const dir = ctx({ Dockerfile: APP, 'app.sh': '#!/bin/sh\necho "$GREETING $1 from $(cat /proc/self/comm 2>/dev/null || echo app)"\n' });
    const first = env.hako(['build', '-t', 'app:1', dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /#\d+ \[build 3\/4\] COPY app\.sh \.\/\n#\d+ DONE/);
    assert.doesNotMatch(first.stderr, /CACHED/);
    assert.match(run('app:1'), /^hello world from /);
    assert.match(run('app:1', 'you'), /^hello you /);

    const second = env.hako(['build', '-t', 'app:2', dir]);
    assert.equal(second.code, 0, second.stderr);
    const steps = second.stderr.split('\n').filter((l) => /^#\d+ \[(build|app) \d\/\d\] (RUN|COPY|WORKDIR)/.test(l));
    assert.equal(steps.length, 4, second.stderr);
    assert.equal((second.stderr.match(/^#\d+ CACHED$/gm) ?? []).length, 4, second.stderr);
    const id = (ref: string) => JSON.parse(env.ok(['inspect', '--type', 'image', ref]))[0].Id;
    assert.equal(id('app:1'), id('app:2'), 'a build from cache gives the same image');

    const fresh = env.hako(['build', '--no-cache', '-q', '-t', 'app:nocache', dir]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /^sha256:[0-9a-f]{64}\n$/, '-q prints the image ID only');
    assert.equal(fresh.stderr, '', '-q prints no progress');
    assert.notEqual(id('app:nocache'), id('app:1'), '--no-cache runs every step again (new layer times)');
    fs.writeFileSync(path.join(dir, 'app.sh'), '#!/bin/sh\necho changed\n');
    const third = env.hako(['build', '-t', 'app:3', dir]);
    assert.match(third.stderr, /COPY app\.sh \.\/\n#\d+ DONE/, 'a changed source is not taken from the cache');
    assert.equal(run('app:3'), 'changed\n');
  });

  it('applies ENV, WORKDIR, USER, COPY --chown/--chmod, ADD of a tar and RUN rm as a whiteout', () => {
    const tar = zlib.gzipSync(
      tarFile([
        { name: 'pkg/', type: 'directory', mode: 0o755, uid: 1234, gid: 99 },
        { name: 'pkg/data.txt', content: 'from the archive\n', mode: 0o644, uid: 1234, gid: 99 },
        { name: 'pkg/link', type: 'symlink', linkname: 'data.txt' },
      ]),
    );
    const dir = ctx({
      Dockerfile: `FROM hako.local/busybox
ENV A=1 B="two words"
ENV C $A-\${B}
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group && mkdir /home/app && rm /etc/hostname && mkdir /gone && touch /gone/x
RUN rm -r /gone && mkdir -p /op/old && touch /op/old/a
RUN rm -r /op && mkdir -p /op/new && touch /op/new/b
WORKDIR /work
WORKDIR sub
COPY --chown=app:app --chmod=600 secret.txt /home/app/
COPY secret.txt plain.txt
ADD pkg.tar.gz /opt
ADD secret.txt /opt/not-extracted
USER app
RUN id -u > /tmp/run-uid && pwd > /tmp/run-pwd && echo "$A" > /tmp/run-env
SHELL ["/bin/busybox", "sh", "-c"]
RUN echo "$0" > /tmp/run-shell
`,
      'secret.txt': 'secret\n',
      'pkg.tar.gz': tar,
    });
    const r = env.hako(['build', '-t', 'effects', dir]);
    assert.equal(r.code, 0, r.stderr);
    const out = run(
      'effects',
      'sh',
      '-c',
      [
        'echo "A=$A B=$B C=$C"',
        'pwd',
        'id -u',
        'stat -c "%u:%g %a" /home/app/secret.txt',
        'stat -c "%u:%g %a" /work/sub/plain.txt',
        'stat -c "%u:%g %a" /opt/pkg /opt/pkg/data.txt',
        'cat /opt/pkg/data.txt',
        'readlink /opt/pkg/link',
        'cat /opt/not-extracted',
        'test -e /gone && echo gone-exists || echo gone-removed',
        'find /op | sort | xargs echo',
        'cat /tmp/run-uid /tmp/run-pwd /tmp/run-env /tmp/run-shell',
      ].join('; '),
    );
    assert.deepEqual(out.trim().split('\n'), [
      'A=1 B=two words C=1-two words',
      '/work/sub',
      '1000',
      '1000:1000 600',
      '0:0 644',
      '1234:99 755',
      '1234:99 644',
      'from the archive',
      'data.txt',
      'secret',
      'gone-removed',
      '/op /op/new /op/new/b',
      '1000',
      '/work/sub',
      '1',
      'sh', // RUN as USER, in WORKDIR, with ENV, through SHELL
    ]);
    // /etc/hostname is bind-mounted by `run`: its whiteout is checked in the image's layers.
    const layers = layerNames(env.root, 'effects');
    assert.ok(
      layers.some((l) => l.includes('etc/.wh.hostname')),
      JSON.stringify(layers),
    );
    assert.ok(
      layers.some((l) => l.includes('.wh.gone')),
      'RUN rm -r of a directory made by an earlier step is a whiteout',
    );
    assert.ok(
      layers.some((l) => l.includes('op/.wh..wh..opq')),
      'a directory removed and made again is opaque',
    );
    assert.ok(
      !layers
        .slice(1)
        .flat()
        .some((n) => /^(proc|sys|dev)\/|etc\/(hosts|resolv\.conf)$/.test(n)),
      'no mount points of the RUN steps',
    );
  });

  it('runs ENTRYPOINT and CMD in exec and shell form, and records the config instructions', () => {
    const dir = ctx({
      Dockerfile: `FROM hako.local/busybox AS exec
ENTRYPOINT ["/bin/echo", "ep"]
CMD ["c1", "c2"]

FROM hako.local/busybox AS shell
SHELL ["/bin/sh", "-c"]
ENV WHO=shell
ENTRYPOINT echo "entry $WHO $0"

FROM hako.local/busybox AS meta
LABEL org.example.name="the app" version=1
EXPOSE 80 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --retries=2 CMD ["true"]
USER 65534:65534
CMD echo "cmd $(id -u)"
`,
    });
    for (const t of ['exec', 'shell', 'meta']) {
      const r = env.hako(['build', '--target', t, '-t', `form:${t}`, dir]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(run('form:exec'), 'ep c1 c2\n');
    assert.equal(run('form:exec', 'x'), 'ep x\n');
    assert.equal(run('form:shell'), 'entry shell /bin/sh\n');
    assert.equal(run('form:meta'), 'cmd 65534\n');
    const cfg = JSON.parse(env.ok(['inspect', '--type', 'image', 'form:meta']))[0].Config;
    assert.deepEqual(cfg.Labels, { 'org.example.name': 'the app', version: '1' });
    assert.deepEqual(Object.keys(cfg.ExposedPorts).sort(), ['53/udp', '80/tcp']);
    assert.deepEqual(Object.keys(cfg.Volumes), ['/data']);
    assert.equal(cfg.StopSignal, 'SIGQUIT');
    assert.deepEqual(cfg.Healthcheck, { Test: ['CMD', 'true'], Interval: 5e9, Retries: 2 });
    assert.deepEqual(cfg.Shell, undefined);
  });

  it('uses --build-arg, ARG defaults and --target, and builds only the stages the target needs', () => {
    const dir = ctx({
      Dockerfile: `ARG VERSION=1.0
FROM hako.local/busybox AS base
ARG VERSION
ARG FLAVOR=plain
RUN echo "$VERSION-$FLAVOR" > /version

FROM base AS unused
RUN false

FROM base AS final
RUN cat /version > /final
`,
    });
    let r = env.hako(['build', '-t', 'args:default', '--target', 'base', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(run('args:default', 'cat', '/version'), '1.0-plain\n');
    r = env.hako(['build', '-t', 'args:set', '--build-arg', 'VERSION=2.5', '--build-arg', 'FLAVOR=extra', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /unused/, 'a stage the target does not need is not built');
    assert.equal(run('args:set', 'cat', '/final'), '2.5-extra\n');
    assert.equal(env.hako(['build', '--target', 'nosuch', dir]).code, 125);
  });

  it('leaves out what .dockerignore names', () => {
    const dir = ctx({
      Dockerfile: 'FROM hako.local/busybox\nCOPY . /ctx/\n',
      '.dockerignore': '# comment\n*.log\nsecret/\n!keep.log\n**/tmp\n',
      'a.txt': 'a',
      'x.log': 'x',
      'keep.log': 'k',
      'secret/key': 'k',
      'deep/er/tmp': 't',
      'deep/er/ok': 'o',
    });
    const r = env.hako(['build', '-t', 'ignored', dir]);
    assert.equal(r.code, 0, r.stderr);
    const files = run('ignored', 'find', '/ctx', '-type', 'f').trim().split('\n').sort();
    assert.deepEqual(files, ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/a.txt', '/ctx/deep/er/ok', '/ctx/keep.log']);
    const miss = env.hako(['build', ctx({ Dockerfile: 'FROM hako.local/busybox\nCOPY x.log /\n', '.dockerignore': '*.log\n', 'x.log': '' })]);
    assert.equal(miss.code, 1);
    assert.match(miss.stderr, /^hako: Dockerfile:2: COPY "x\.log": not found in the build context/m);
  });

  it('says what is wrong with a bad Dockerfile in one line with its line number, exit 125', () => {
    const cases: Array<[string, RegExp]> = [
      ['FROM hako.local/busybox\nRUN true\nFROBNICATE x\n', /^hako: Dockerfile:3: unknown instruction: FROBNICATE$/],
      ['RUN true\n', /^hako: Dockerfile:1: RUN before the first FROM/],
      ['FROM hako.local/busybox\nCOPY onlyone\n', /^hako: Dockerfile:2: COPY needs at least one source and a destination$/],
      ['FROM hako.local/busybox\nCOPY --frm=x a b\n', /^hako: Dockerfile:2: COPY: unknown flag --frm$/],
      ['FROM hako.local/busybox\nRUN <<EOF\necho\nEOF\n', /^hako: Dockerfile:2: RUN: heredocs/],
      ['\n\n', /^hako: Dockerfile:1: the Dockerfile has no instructions$/],
    ];
    for (const [text, re] of cases) {
      const r = env.hako(['build', ctx({ Dockerfile: text })]);
      assert.equal(r.code, 125, `${text}: ${r.stderr}`);
      assert.match(r.stderr.trim(), re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const failing = env.hako(['build', ctx({ Dockerfile: 'FROM hako.local/busybox\nRUN echo out; exit 3\n' })]);
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /^#\d+ \d+\.\d+ out$/m);
    assert.match(failing.stderr, /^hako: Dockerfile:2: process "\/bin\/sh -c echo out; exit 3" did not complete successfully: exit code: 3$/m);
    assert.equal(env.hako(['build', '--bogus', '.']).code, 125);
    assert.equal(env.hako(['build', '/nonexistent-context']).code, 125);
    assert.deepEqual(leftBehind(env.root), []);
  });

  it('takes down what a killed build left (its RUN container, overlay and directory) at the next build', async () => {
    const dir = ctx({ Dockerfile: 'FROM hako.local/busybox\nRUN echo started; sleep 60\n' });
    const child = spawn(HAKO, ['--root', env.root, 'build', '--no-cache', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    await env.until('the RUN step to start', () => /started/.test(err));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    assert.notDeepEqual(leftBehind(env.root), [], 'a killed build leaves its step behind');
    const r = env.hako(['build', '-q', ctx({ Dockerfile: 'FROM hako.local/busybox\nRUN true\n' })]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(leftBehind(env.root), []);
  });

  it('leaves nothing behind: no mounts, build directories, runtime state or step cgroups', () => {
    assert.deepEqual(leftBehind(env.root), []);
  });
});

describe('hako build with hostile input', { skip: engineSkip }, () => {
  it('copies a symlink in the context as a symlink and never follows it out', () => {
    const dir = ctx({ Dockerfile: 'FROM hako.local/busybox\nCOPY evil /evil\nCOPY . /ctx/\n', a: 'a' });
    fs.symlinkSync('/etc', path.join(dir, 'evil'));
    const r = env.hako(['build', '-t', 'hostile:link', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(run('hostile:link', 'sh', '-c', 'readlink /evil; readlink /ctx/evil; test -L /ctx/evil && echo link'), '/etc\n/etc\nlink\n');
    const through = env.hako(['build', ctx({ Dockerfile: 'FROM hako.local/busybox\nCOPY evil/passwd /x\n' })]);
    assert.equal(through.code, 1, 'a source through a symlink is not found');
    const up = env.hako(['build', ctx({ Dockerfile: 'FROM hako.local/busybox\nCOPY ../../etc/passwd /x\n' })]);
    assert.equal(up.code, 1);
    assert.match(up.stderr, /forbidden path outside the build context/);
  });

  it('resolves a COPY destination through a symlink planted by a RUN inside the new root', () => {
    const sentinel = `hako-build-sentinel-${process.pid}`;
    const dir = ctx({
      Dockerfile: `FROM hako.local/busybox
RUN ln -s / /escape && ln -s /tmp /abs && ln -s ../../../../../../tmp /rel
COPY a.txt /escape/tmp/${sentinel}-1
COPY a.txt /abs/${sentinel}-2
COPY a.txt /rel/${sentinel}-3
COPY a.txt /escape/${sentinel}-dir/
`,
      'a.txt': 'planted\n',
    });
    const r = env.hako(['build', '-t', 'hostile:dest', dir]);
    assert.equal(r.code, 0, r.stderr);
    for (const n of [1, 2, 3]) assert.equal(fs.existsSync(`/tmp/${sentinel}-${n}`), false, `host /tmp/${sentinel}-${n}`);
    assert.equal(fs.existsSync(`/${sentinel}-dir`), false);
    assert.equal(run('hostile:dest', 'cat', `/tmp/${sentinel}-1`, `/tmp/${sentinel}-2`, `/tmp/${sentinel}-3`, `/${sentinel}-dir/a.txt`), 'planted\n'.repeat(4));
  });

  it('resolves symlinks among COPY --from parents inside the stage root, never on the host', () => {
    const dir = ctx({
      Dockerfile: `FROM hako.local/busybox AS build
RUN mkdir -p /usr/lib/app && echo inside > /usr/lib/app/f && ln -s usr/lib /lib2 && ln -s /etc /out && ln -s ../../.. /usr/up

FROM hako.local/busybox
COPY --from=build /lib2/app/f /f
COPY --from=build /out/hostname /h
COPY --from=build /usr/up/etc/hostname /h2
`,
    });
    const r = env.hako(['build', '-t', 'hostile:from', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(run('hostile:from', 'cat', '/f', '/h', '/h2'), 'inside\nbusybox\nbusybox\n', "the stage's /etc/hostname, not the host's");
  });

  it('keeps huge and odd names, and stores a RUN symlink to a host path as a symlink', () => {
    const long = 'n'.repeat(200);
    const deep = Array.from({ length: 40 }, (_, i) => `d${i}`).join('/');
    const files: Record<string, string> = {
      Dockerfile: `FROM hako.local/busybox
COPY . /ctx/
RUN mkdir -p "/made/${deep}" && echo deep > "/made/${deep}/f" && ln -s /etc/shadow /made/shadow-link && printf x > "/made/sp ace \\$(x)"
`,
      [`${long}`]: 'long\n',
      'new\nline': 'nl\n',
      'ünï cødé': 'u\n',
      [`${deep}/f`]: 'ctxdeep\n',
    };
    const r = env.hako(['build', '-t', 'hostile:names', ctx(files)]);
    assert.equal(r.code, 0, r.stderr);
    const out = run(
      'hostile:names',
      'sh',
      '-c',
      `cat /ctx/${long} "/ctx/new
line" "/ctx/ünï cødé" /ctx/${deep}/f /made/${deep}/f; readlink /made/shadow-link; cat "/made/sp ace \\$(x)"`,
    );
    assert.equal(out, 'long\nnl\nu\nctxdeep\ndeep\n/etc/shadow\nx');
  });
});
