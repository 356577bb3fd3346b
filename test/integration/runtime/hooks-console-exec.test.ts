// Hooks (order, namespaces, state on stdin, failures), the OCI console socket, and exec.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Harness, HAKO } from './harness.js';
import { OWN_CGROUP_ROOT_LINE } from '../../fixtures/cgroup-layout.js';
import { startConsoleReceiver } from '../../fixtures/console-receiver.js';

const h = new Harness();
after(() => h.cleanup());

describe('hooks', () => {
  it('run in order, in the right namespaces, with the state on stdin', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-hooks-'));
    fs.chmodSync(dir, 0o777);
    const hostHook = (name: string) => ({
      path: '/bin/sh',
      args: ['sh', '-c', `cat > ${dir}/${name}.json; readlink /proc/self/ns/mnt > ${dir}/${name}.mnt; echo ${name} >> ${dir}/order`],
    });
    try {
      const bundle = h.bundle(['sh', '-c', 'echo process >> /hooks/order'], (s) => {
        s.mounts!.push({ destination: '/hooks', type: 'bind', source: dir, options: ['bind'] });
        s.hooks = {
          prestart: [hostHook('prestart')],
          createRuntime: [hostHook('createRuntime')],
          createContainer: [hostHook('createContainer')],
          // Resolved inside the container: /bin/sh is busybox's, /hooks is the bind mount.
          startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'cat > /hooks/startContainer.json; echo startContainer >> /hooks/order'] }],
          poststart: [hostHook('poststart')],
          poststop: [hostHook('poststop')],
        };
      });
      const id = h.id();
      const r = h.hako(['run', '--bundle', bundle, id]);
      assert.equal(r.status, 0, r.stderr);
      const order = fs.readFileSync(`${dir}/order`, 'utf8').trim().split('\n');
      // poststart runs after start returns control, concurrently with the process: only its place
      // after startContainer is fixed.
      assert.deepEqual(order.filter((x) => x !== 'process' && x !== 'poststart'), ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststop']);
      assert.ok(order.indexOf('poststart') > order.indexOf('startContainer'));
      const host = fs.readlinkSync('/proc/self/ns/mnt');
      assert.equal(fs.readFileSync(`${dir}/createRuntime.mnt`, 'utf8').trim(), host, 'createRuntime: runtime namespace');
      assert.notEqual(fs.readFileSync(`${dir}/createContainer.mnt`, 'utf8').trim(), host, 'createContainer: container namespace');
      for (const name of ['createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']) {
        const state = JSON.parse(fs.readFileSync(`${dir}/${name}.json`, 'utf8'));
        assert.equal(state.id, id, name);
        assert.equal(state.ociVersion, '1.2.0');
        assert.equal(state.bundle, bundle);
        if (name !== 'poststop') assert.ok(state.pid > 0, `${name} gets the pid`);
      }
      // created, as runc and crun send (and the OCI conformance suite checks).
      assert.equal(JSON.parse(fs.readFileSync(`${dir}/createRuntime.json`, 'utf8')).status, 'created');
      assert.equal(JSON.parse(fs.readFileSync(`${dir}/poststop.json`, 'utf8')).status, 'stopped');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing createRuntime hook fails create and leaves nothing; a failing poststart only warns', () => {
    const id = h.id();
    let r = h.hako(['run', '--bundle', h.bundle(['true'], (s) => { s.hooks = { createRuntime: [{ path: '/bin/false' }] }; }), id]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^hako: createRuntime hook \/bin\/false: exited with status 1/);
    assert.ok(!fs.existsSync(path.join(h.root, id)));
    r = h.run(['echo', 'ran'], (s) => { s.hooks = { poststart: [{ path: '/bin/false' }] }; });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'ran\n');
    assert.match(r.stderr, /warning: poststart hook \/bin\/false/);
  });

  it('a failing poststart or poststop hook warns, and the hooks after it still run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-hooks-'));
    const mark = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `echo ${name} >> ${dir}/ran`] });
    try {
      const r = h.run(['echo', 'ran'], (s) => {
        s.hooks = {
          poststart: [{ path: '/bin/false' }, mark('poststart-after')],
          poststop: [{ path: '/bin/false' }, mark('poststop-after')],
        };
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, 'ran\n');
      assert.match(r.stderr, /warning: poststart hook \/bin\/false: exited with status 1/);
      assert.match(r.stderr, /warning: poststop hook \/bin\/false: exited with status 1/);
      assert.deepEqual(fs.readFileSync(`${dir}/ran`, 'utf8').trim().split('\n').sort(), ['poststart-after', 'poststop-after']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a hook that takes too long is killed at its timeout', () => {
    const r = h.run(['true'], (s) => { s.hooks = { createContainer: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] }; });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /hook: \/bin\/sleep timed out after 1 s/);
  });
});

describe('console socket (the OCI protocol)', () => {
  it('sends the pty master over the socket; the process has a controlling terminal of its size', async () => {
    const sock = path.join(h.root, 'console.sock');
    const out = path.join(h.root, 'console.out');
    const { done } = await startConsoleReceiver(sock, out);
    const id = h.id();
    const bundle = h.bundle(['sh', '-c', 'tty; stty size'], (s) => { s.process!.terminal = true; s.process!.consoleSize = { height: 33, width: 101 }; });
    const r = h.hakoDetached(['run', '--detach', '--console-socket', sock, '--bundle', bundle, id]);
    assert.equal(r.status, 0, r.stdout);
    await done;
    const [name, ...rest] = fs.readFileSync(out, 'utf8').split('\n');
    assert.match(name, /^\/dev\/pts\/\d+$/);
    assert.match(rest.join('\n'), /\/dev\/pts\/0\r\n33 101\r\n/);
  });
});

describe('exec', () => {
  it('sees the container\'s PID namespace, hostname, mounts, cgroup and user', () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(['sleep', '60'], (s) => {
      s.hostname = 'inside';
      s.mounts!.push({ destination: '/marker', type: 'tmpfs', source: 'tmpfs', options: ['size=1k'] });
      s.process!.user = { uid: 123, gid: 456 };
    }), id]).status, 0);
    const pid = JSON.parse(h.hako(['state', id]).stdout).pid;
    const r = h.hako(['exec', id, 'sh', '-c', 'echo $$; hostname; grep -c " /marker " /proc/self/mounts; id -u; id -g; ps -o pid,comm | grep -c sleep; for n in pid mnt uts ipc net cgroup; do readlink /proc/self/ns/$n; done; grep -E \':memory:|^0::\' /proc/self/cgroup | head -1']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.notEqual(lines[0], '1');
    assert.deepEqual(lines.slice(1, 6), ['inside', '1', '123', '456', '1']);
    const ns = ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup'].map((n) => fs.readlinkSync(`/proc/${pid}/ns/${n}`));
    assert.deepEqual(lines.slice(6, 12), ns);
    assert.match(lines[12], OWN_CGROUP_ROOT_LINE);
    // From the host, the exec'd process is in the container's cgroup.
    const execPid = spawn(HAKO, ['runtime', '--root', h.root, 'exec', id, 'sleep', '5'], { stdio: 'ignore' });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    const pids: number[] = JSON.parse(h.hako(['ps', '--format', 'json', id]).stdout);
    assert.equal(pids.length, 2, 'the exec\'d sleep is in the container\'s cgroup');
    execPid.kill();
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('passes the exit status, flags override the container\'s process, caps dropped at create stay dropped', () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(['sleep', '60'], (s) => {
      s.process!.capabilities = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
    }), id]).status, 0);
    assert.equal(h.hako(['exec', id, 'sh', '-c', 'exit 9']).status, 9);
    const r = h.hako(['exec', '--env', 'X=y', '--cwd', '/tmp', '--user', '7:8', id, 'sh', '-c', 'echo $X; pwd; id -u; id -g']);
    assert.deepEqual(r.stdout.trim().split('\n'), ['y', '/tmp', '7', '8']);
    const caps = h.hako(['exec', id, 'grep', 'CapBnd', '/proc/self/status']).stdout;
    assert.match(caps, /CapBnd:\s+0000000000000020/);
    // Adding a capability the bounding set of the container lacks cannot give it back.
    const added = h.hako(['exec', '--cap', 'CAP_SYS_ADMIN', id, 'grep', 'CapEff', '/proc/self/status']).stdout;
    assert.match(added, /CapEff:\s+0000000000200020/);
    assert.equal(h.hako(['exec', id, 'nosuchcmd']).status, 1);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('exec -t gets a pty', () => {
    const id = h.id();
    assert.equal(h.hakoDetached(['run', '--detach', '--bundle', h.bundle(['sleep', '60']), id]).status, 0);
    // Our stdin is not a terminal: the relay still gives the process its own pty.
    const r = h.hako(['exec', '-t', id, 'sh', '-c', 'tty; test -t 0 && echo stdin-is-tty']);
    assert.equal(r.status, 0, r.stderr);
    // The relay clears ONLCR, as runc's does: line ends arrive as they were written.
    assert.match(r.stdout, /^\/dev\/pts\/\d+\nstdin-is-tty\n$/);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
  });

  it('refuses a stopped container and an unknown one', () => {
    assert.match(h.hako(['exec', 'nope', 'true']).stderr, /does not exist/);
  });
});
