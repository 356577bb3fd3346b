// --help describes every command, and COMMAND --help every flag of it (runc's help does).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness } from './harness.js';

const h = new Harness();
after(() => h.cleanup());

const COMMANDS = [
  'spec',
  'create',
  'run',
  'start',
  'state',
  'kill',
  'delete',
  'pause',
  'resume',
  'update',
  'ps',
  'events',
  'exec',
  'list',
  'features',
  'checkpoint',
  'restore',
  'plan',
];

describe('help', () => {
  it('--help names every command and global flag', () => {
    const r = h.hako(['--help']);
    assert.equal(r.status, 0);
    for (const c of [...COMMANDS, 'checkpoint']) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
    for (const f of ['--root', '--log', '--log-format', '--debug', '--systemd-cgroup']) assert.ok(r.stdout.includes(f), f);
  });

  it('COMMAND --help describes its flags and exits 0', () => {
    for (const c of COMMANDS) {
      const r = h.hako([c, '--help']);
      assert.equal(r.status, 0, `${c}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: hako runtime ${c}\\b`), c);
    }
    const exec = h.hako(['exec', '-h']).stdout;
    for (const f of [
      '--process',
      '--tty',
      '--detach',
      '--env',
      '--cwd',
      '--user',
      '--additional-gids',
      '--cap',
      '--no-new-privs',
      '--apparmor',
      '--process-label',
      '--console-socket',
      '--pid-file',
      '--ignore-paused',
      '--cgroup',
      '--preserve-fds',
    ])
      assert.ok(exec.includes(f), f);
    const update = h.hako(['update', '--help']).stdout;
    for (const f of ['--resources', '--memory', '--memory-swap', '--cpu-quota', '--cpuset-cpus', '--pids-limit', '--blkio-weight'])
      assert.ok(update.includes(f), f);
    // podman's probe of checkpoint support: `RUNTIME checkpoint --help` with exit 0.
    const checkpoint = h.hako(['checkpoint', '--help']);
    assert.equal(checkpoint.status, 0);
    for (const f of ['--image-path', '--work-path', '--leave-running', '--tcp-established', '--pre-dump', '--parent-path', '--manage-cgroups-mode'])
      assert.ok(checkpoint.stdout.includes(f), f);
    const restore = h.hako(['restore', '--help']).stdout;
    for (const f of ['--image-path', '--bundle', '--detach', '--pid-file', '--console-socket']) assert.ok(restore.includes(f), f);
  });
});
