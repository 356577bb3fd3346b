// Hooks: order, namespaces, the state on stdin, failures and timeouts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Harness } from './harness.js';

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
      assert.deepEqual(
        order.filter((x) => x !== 'process' && x !== 'poststart'),
        ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststop'],
      );
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
    let r = h.hako([
      'run',
      '--bundle',
      h.bundle(['true'], (s) => {
        s.hooks = { createRuntime: [{ path: '/bin/false' }] };
      }),
      id,
    ]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^hako: createRuntime hook \/bin\/false: exited with status 1/);
    assert.ok(!fs.existsSync(path.join(h.root, id)));
    r = h.run(['echo', 'ran'], (s) => {
      s.hooks = { poststart: [{ path: '/bin/false' }] };
    });
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
    const r = h.run(['true'], (s) => {
      s.hooks = { createContainer: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] };
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /hook: \/bin\/sleep timed out after 1 s/);
  });
});
