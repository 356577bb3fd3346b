// The Dockerfile parser (src/build/dockerfile.ts) against the reference's rules: directives,
// comments, continuations, keywords in any case, flags, JSON forms, and one-line errors with the
// line number and docker's exit status 125.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerfile, DockerfileError } from '../../../src/build/dockerfile.js';
import { planStages } from '../../../src/build/stages.js';

test('continuations, comments inside them, keywords in any case, line numbers', () => {
  const df = parseDockerfile(`# a comment
from busybox as Build
RUN echo a \\
# a comment inside the continuation

    && echo b
copy --from=build --chown=1:2 /a /b
CMD ["sh", "-c", "echo hi"]
CMD echo [not json
`);
  assert.deepEqual(
    df.instructions.map((i) => [i.keyword, i.line]),
    [
      ['FROM', 2],
      ['RUN', 3],
      ['COPY', 7],
      ['CMD', 8],
      ['CMD', 9],
    ],
  );
  assert.equal(df.instructions[1]!.args, 'echo a     && echo b');
  assert.deepEqual(df.instructions[2]!.flags, { from: 'build', chown: '1:2' });
  assert.equal(df.instructions[2]!.args, '/a /b');
  assert.deepEqual(df.instructions[3]!.json, ['sh', '-c', 'echo hi']);
  assert.equal(df.instructions[4]!.json, undefined, 'not JSON: the shell form');
});

test('the escape directive changes the continuation character', () => {
  const df = parseDockerfile('# escape=`\nFROM x\nRUN dir c:\\ `\n  && echo done\n');
  assert.equal(df.escape, '`');
  assert.equal(df.instructions[1]!.args, 'dir c:\\   && echo done');
});

test('errors name the line and exit 125', () => {
  const cases: Array<[string, RegExp]> = [
    ['FROM x\n\nBOGUS y\n', /^Dockerfile:3: unknown instruction: BOGUS$/],
    ['ENV A=1\nFROM x\n', /^Dockerfile:1: ENV before the first FROM/],
    ['FROM x\nCOPY a\n', /^Dockerfile:2: COPY needs at least one source and a destination$/],
    ['FROM x y\n', /^Dockerfile:1: FROM needs an image/],
    ['FROM x\nSHELL sh -c\n', /^Dockerfile:2: SHELL needs the JSON form/],
    ['FROM x\nRUN --mount=type=cache,target=/x true\n', /^Dockerfile:2: RUN: --mount is not supported by hako build$/],
    ['FROM x\nCOPY <<EOF /a\nhi\nEOF\n', /^Dockerfile:2: COPY: heredocs/],
    ['# escape=x\nFROM a\n', /^Dockerfile:1: invalid escape directive/],
    ['', /^Dockerfile:1: the Dockerfile has no instructions$/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseDockerfile(text),
      (e: unknown) => {
        assert.ok(e instanceof DockerfileError, String(e));
        assert.match(e.message, re);
        assert.equal(e.exitCode, 125);
        return true;
      },
      text,
    );
  }
});

test('stages: global ARGs in FROM, names, the target and what it needs', () => {
  const df = parseDockerfile(`ARG BASE=busybox
FROM $BASE AS a
FROM a AS b
FROM other AS c
COPY --from=a /x /y
FROM c AS d
`);
  const plan = planStages(df, new Map([['BASE', 'alpine']]), 'c', 'Dockerfile');
  assert.equal(plan.stages[0]!.base, 'alpine');
  assert.deepEqual(plan.order, [0, 2], 'c needs a (COPY --from), not b or d');
  assert.deepEqual(planStages(df, new Map(), undefined, 'Dockerfile').order, [0, 2, 3]);
  assert.throws(() => planStages(df, new Map(), 'nope', 'Dockerfile'), /target stage "nope" could not be found/);
  assert.throws(() => planStages(parseDockerfile('FROM x AS a\nFROM y AS A\n'), new Map(), undefined, 'Dockerfile'), /Dockerfile:2: duplicate stage name/);
});
