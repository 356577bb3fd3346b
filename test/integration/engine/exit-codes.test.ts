// docker's exit statuses, case by case (src/engine/exit-codes.ts). What docker documents (docker run
// reference, "Exit status"): 125 when the error is the engine's (`docker run --foo busybox`), 126 when
// the container's command cannot be invoked (`docker run busybox /etc`), 127 when it cannot be found
// (`docker run busybox foo`), the command's own status otherwise (`sh -c 'exit 3'`: 3). docker's CLI
// gives 125 for a bad flag of any command, and `docker exec` 126/127 for the exec'd command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { type EngineEnv, HAKO, IMAGE, engineSkip, useEngineEnv } from './harness.js';

const skip = engineSkip;
let env!: EngineEnv;
useEngineEnv(skip, (e) => {
  env = e;
});

/** Runs hako, checks the exit status and that stderr is the one expected line. */
function expect(args: string[], code: number, line: RegExp | string): void {
  const r = env.hako(args);
  assert.equal(r.code, code, `hako ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr
    .split('\n')
    .filter(Boolean)
    .filter((l) => !/^Unable to find image/.test(l));
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  if (typeof line === 'string') assert.equal(lines[0], line);
  else assert.match(lines[0], line);
}

test("run: the engine's own failures exit 125", { skip }, () => {
  expect(['run', '--foo', IMAGE], 125, 'hako: run: unknown flag: --foo');
  expect(['run', '--memory', 'lots', IMAGE, 'true'], 125, /^hako: invalid argument "lots" for "--memory" flag/);
  expect(['run', '--rm', '--restart', 'always', IMAGE, 'true'], 125, /conflicting options/);
  // An image that is not there and cannot be pulled (nothing listens on 127.0.0.1:9).
  expect(['run', '--rm', '127.0.0.1:9/nothing:here', 'true'], 125, /^hako: .*127\.0\.0\.1:9/);
  env.ok(['create', '--name', 'taken', IMAGE, 'true']);
  expect(['run', '--name', 'taken', IMAGE, 'true'], 125, /^hako: the container name "\/taken" is already in use/);
  // The runtime fails to create: a bind mount onto a file with a directory.
  expect(['run', '--rm', '-v', '/etc:/etc/passwd', IMAGE, 'true'], 125, /^hako: /);
  env.ok(['rm', 'taken']);
  assert.equal(env.ok(['ps', '-aq']), '', 'nothing is left of the failed runs');
});

test('run: a command that is not found exits 127, one that cannot be invoked 126', { skip }, () => {
  expect(['run', '--rm', IMAGE, 'nosuchcommand'], 127, 'hako: exec: "nosuchcommand": executable file not found in $PATH');
  expect(['run', '--rm', IMAGE, '/no/such/file'], 127, 'hako: exec: "/no/such/file": stat /no/such/file: no such file or directory');
  expect(['run', '--rm', IMAGE, '/etc'], 126, 'hako: exec: "/etc": is a directory');
  expect(['run', '--rm', IMAGE, '/etc/passwd'], 126, 'hako: exec: "/etc/passwd": permission denied');
  // The same through every way of running: detached, and in the foreground with -i (in-process).
  expect(['run', '-d', '--rm', IMAGE, 'nosuchcommand'], 127, /executable file not found/);
  expect(['run', '--rm', '-i', IMAGE, '/etc'], 126, 'hako: exec: "/etc": is a directory');
  assert.equal(env.ok(['ps', '-aq']), '', '--rm removed them all');
  // Without --rm the container stays, exited with the status run gave.
  const r = env.hako(['run', '--name', 'notfound', IMAGE, 'nosuchcommand']);
  assert.equal(r.code, 127);
  assert.equal(env.inspect('notfound').State.ExitCode, 127);
  assert.match(JSON.parse(env.ok(['inspect', 'notfound']))[0].State.Error, /executable file not found/);
  env.ok(['rm', 'notfound']);
});

test("run passes the container's own exit status, signals as 128+n", { skip }, async () => {
  assert.equal(env.hako(['run', '--rm', IMAGE, 'sh', '-c', 'exit 3']).code, 3);
  assert.equal(env.hako(['run', '--rm', IMAGE, 'sh', '-c', 'exit 125']).code, 125, 'a container may exit 125 itself');
  assert.equal(env.hako(['run', '--rm', IMAGE, 'true']).code, 0);
  // Killed from outside (PID 1 of its namespace ignores its own SIGKILL): 128+9.
  const fg = spawn(HAKO, ['--root', env.root, 'run', '--rm', '--name', 'killed', IMAGE, 'sleep', '1000'], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => fg.once('exit', (c) => resolve(c)));
  await env.until('the container runs', () => env.hako(['inspect', '--format', '{{.State.Status}}', 'killed']).stdout.trim() === 'running');
  env.ok(['kill', 'killed']);
  assert.equal(await exited, 137);
});

test("exec: 127 and 126 for the exec'd command, its own status otherwise, 125 for a bad flag", { skip }, () => {
  env.ok(['run', '-d', '--name', 'target', IMAGE, 'sleep', '1000']);
  expect(['exec', 'target', 'nosuchcommand'], 127, 'hako: exec: "nosuchcommand": executable file not found in $PATH');
  expect(['exec', 'target', '/etc'], 126, 'hako: exec: "/etc": is a directory');
  expect(['exec', 'target', '/etc/passwd'], 126, 'hako: exec: "/etc/passwd": permission denied');
  expect(['exec', '--bogus', 'target', 'true'], 125, 'hako: exec: unknown flag: --bogus');
  assert.equal(env.hako(['exec', 'target', 'sh', '-c', 'exit 4']).code, 4);
  // Not the command's failure, and not a flag: 1, as docker's.
  expect(['exec', 'no-such-container', 'true'], 1, 'hako: no such container: no-such-container');
  env.ok(['rm', '-f', 'target']);
});

test('other commands: a bad flag is 125, any other failure 1 (as docker)', { skip }, () => {
  expect(['ps', '--bogus'], 125, 'hako: ps: unknown flag: --bogus');
  expect(['rm', 'no-such-container'], 1, 'hako: no such container: no-such-container');
  // docker create fails 125 on its flags and values; the daemon's errors exit 1.
  expect(['create', '--cpus', 'x', IMAGE], 125, /^hako: invalid argument "x" for "--cpus" flag/);
});
