// Bad input: one clear line naming the field, non-zero exit, nothing left behind.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, mountsUnder } from './harness.js';
import type { Spec } from '../../../src/oci/types.js';

const h = new Harness();
after(() => h.cleanup());

function expectCleanFailure(bundle: string, pattern: RegExp, command = 'run'): void {
  const id = h.id();
  const r = h.hako([command, '--bundle', bundle, id]);
  assert.notEqual(r.status, 0, 'must fail');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.equal(fs.existsSync(path.join(h.root, id)), false, 'no state left');
  assert.deepEqual(cgroupDirsOf(id), [], 'no cgroup left');
  assert.deepEqual(mountsUnder(path.join(bundle, 'rootfs')), [], 'no mounts left');
  assert.deepEqual(h.hako(['list', '-q']).stdout, '', 'no container listed');
}

/** The container's default cgroup (/hako/ID) in every hierarchy, v1 or v2, that has it. */
function cgroupDirsOf(id: string): string[] {
  const roots = ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((d) => path.join('/sys/fs/cgroup', d))];
  return roots.map((r) => path.join(r, 'hako', id)).filter((d) => fs.existsSync(d));
}

function withConfig(edit: (raw: Record<string, unknown>) => void): string {
  const bundle = h.bundle(['true']);
  const file = path.join(bundle, 'config.json');
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(raw);
  fs.writeFileSync(file, JSON.stringify(raw));
  return bundle;
}

describe('bad input fails cleanly', () => {
  it('invalid JSON', () => {
    const bundle = h.bundle(['true']);
    fs.writeFileSync(path.join(bundle, 'config.json'), '{"ociVersion": ');
    expectCleanFailure(bundle, /^hako: config\.json: invalid JSON/);
  });

  it('missing config.json', () => {
    const bundle = h.bundle(['true']);
    fs.rmSync(path.join(bundle, 'config.json'));
    expectCleanFailure(bundle, /config\.json: no such file/);
  });

  it('missing rootfs', () => {
    expectCleanFailure(
      withConfig((c) => {
        (c.root as { path: string }).path = 'nope';
      }),
      /^hako: config\.json: root\.path: .*nope.* does not exist/,
    );
  });

  it('unknown namespace type', () => {
    expectCleanFailure(
      withConfig((c) => {
        ((c.linux as Spec['linux'])!.namespaces as unknown[]).push({ type: 'bogus' });
      }),
      /^hako: config\.json: linux\.namespaces\[\d\]\.type: .*bogus/,
    );
  });

  it('relative mount destination', () => {
    expectCleanFailure(
      withConfig((c) => {
        (c.mounts as unknown[]).push({ destination: 'relative', type: 'tmpfs', source: 'tmpfs' });
      }),
      /^hako: config\.json: mounts\[\d+\]\.destination: .*absolute/,
    );
  });

  it('wrong type for process.args', () => {
    expectCleanFailure(
      withConfig((c) => {
        (c.process as { args: unknown }).args = 'sh';
      }),
      /^hako: config\.json: process\.args/,
    );
  });

  it('unknown capability', () => {
    expectCleanFailure(
      withConfig((c) => {
        (c.process as Spec['process'])!.capabilities!.bounding!.push('CAP_BOGUS');
      }),
      /^hako: config\.json: process\.capabilities\.bounding\[\d\]: .*CAP_BOGUS/,
    );
  });

  it('an error found while compiling (after the cgroup is made) removes the cgroup too', () => {
    expectCleanFailure(
      withConfig((c) => {
        (c.linux as Spec['linux'])!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_BOGUS' }] };
      }),
      /^hako: config\.json: linux\.seccomp\.syscalls\[0\]\.action: unknown action "SCMP_ACT_BOGUS"$/,
    );
  });

  it('a missing executable is reported by create, not lost after start', () => {
    expectCleanFailure(h.bundle(['/no/such/program']), /^hako: exec: "\/no\/such\/program": stat \/no\/such\/program: no such file or directory$/, 'create');
    expectCleanFailure(h.bundle(['nosuchprogram']), /^hako: exec: "nosuchprogram": executable file not found in \$PATH$/, 'create');
    // A directory or a file without x: execve's EACCES, with its reason.
    expectCleanFailure(h.bundle(['/etc']), /^hako: exec: "\/etc": permission denied$/, 'create');
    expectCleanFailure(h.bundle(['/etc/passwd']), /^hako: exec: "\/etc\/passwd": permission denied$/, 'create');
  });

  it('a failing mount names the operation, the paths and errno', () => {
    const bundle = h.bundle(['true'], (s) => {
      s.mounts!.push({ destination: '/bad', type: 'nosuchfs', source: 'x' });
    });
    expectCleanFailure(bundle, /^hako: mount: x on \S+\/rootfs\/bad \(type nosuchfs.*\): No such device$/);
  });

  it('invalid container ids', () => {
    const bundle = h.bundle(['true']);
    for (const id of ['../escape', 'a/b', '', '..', 'new\nline', 'x'.repeat(256), 'x'.repeat(300), 'é']) {
      const r = h.hako(['create', '--bundle', bundle, id]);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /^hako: (invalid )?container id/);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.match(h.hako(['create', '--bundle', bundle, 'x'.repeat(300)]).stderr, /"x{40}…\(300 characters\)": 300 characters, at most 255/);
    assert.deepEqual(fs.readdirSync(h.root), [], 'nothing left in the state root');
    // The longest id runc would accept on ext4/tmpfs works.
    const longest = 'y'.repeat(255);
    assert.equal(h.hako(['run', '--bundle', bundle, longest]).status, 0);
    assert.deepEqual(fs.readdirSync(h.root), []);
  });

  it('a pid file that cannot be written: one line naming it, no container and no temp file left', () => {
    const bundle = h.bundle(['true']);
    const dir = fs.mkdtempSync(path.join(path.dirname(h.root), 'hako-pidfile-'));
    try {
      for (const [file, why] of [
        [path.join(dir, 'missing/pid'), /directory \S+ does not exist/],
        [dir, /.*\((EISDIR|EBUSY)\)/],
      ] as const) {
        const id = h.id();
        const r = h.hako(['run', '--pid-file', file, '--bundle', bundle, id]);
        assert.equal(r.status, 1);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`^hako: --pid-file ${file}: ${why.source}`));
        assert.equal(fs.existsSync(path.join(h.root, id)), false, 'no state left');
        assert.deepEqual(cgroupDirsOf(id), [], 'no cgroup left');
      }
      assert.deepEqual(
        fs.readdirSync(path.dirname(dir)).filter((n) => n.startsWith(`${path.basename(dir)}.tmp`)),
        [],
        'no temp file next to it',
      );
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unknown flags and commands', () => {
    let r = h.hako(['create', '--bogus', 'x']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^hako: create: Unknown option '--bogus'/);
    r = h.hako(['frobnicate']);
    assert.match(r.stderr, /^hako: unknown runtime command "frobnicate"/);
    r = h.hako(['kill', 'nonexistent', 'NOTASIGNAL']);
    assert.notEqual(r.status, 0);
  });
});
