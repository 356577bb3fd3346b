// CVE-2019-5736: a container must not be able to overwrite the host's hako-init through
// /proc/<pid>/exe of a runtime process that joined its namespaces.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Harness, REPO } from './harness.js';

const h = new Harness();
after(() => h.cleanup());
const helper = path.join(REPO, 'native/hako-init');
const digest = () => crypto.createHash('sha256').update(fs.readFileSync(helper)).digest('hex');

describe('runtime binary protection', () => {
  it("the container's init runs from a sealed memfd copy, not the host binary", () => {
    const before = digest();
    const id = h.id();
    assert.equal(h.hakoDetached(['create', '--bundle', h.bundle(['sleep', '60']), id]).status, 0);
    const pid = JSON.parse(h.hako(['state', id]).stdout).pid;
    assert.match(fs.readlinkSync(`/proc/${pid}/exe`), /^\/memfd:hako-init \(deleted\)$/);
    // Even root on the host cannot write through it.
    assert.throws(() => fs.openSync(`/proc/${pid}/exe`, 'r+'), /ETXTBSY|EPERM/);
    // From inside: an exec'd process sees init's exe as the memfd too.
    const r = h.hako(['exec', id, 'readlink', '/proc/1/exe']);
    assert.match(r.stdout, /memfd:hako-init/);
    assert.equal(h.hako(['delete', '--force', id]).status, 0);
    assert.equal(digest(), before);
  });

  it('a "#!/proc/self/exe" entrypoint cannot reach the host binary', () => {
    const before = digest();
    // The classic attack: the container's program is a script whose interpreter is the runtime
    // itself, then it writes to what it got. With the copy, /proc/self/exe is the sealed memfd.
    const r = h.run(
      ['/evil'],
      (s) => {
        s.root!.readonly = false;
      },
      [],
    );
    assert.notEqual(r.status, 0, 'there is no /evil yet: the bundle is edited below');
    const bundle = h.bundle(['/evil'], (s) => {
      s.root!.readonly = false;
    });
    fs.writeFileSync(path.join(bundle, 'rootfs/evil'), '#!/proc/self/exe\n');
    fs.chmodSync(path.join(bundle, 'rootfs/evil'), 0o755);
    h.hako(['run', '--bundle', bundle, h.id()]);
    assert.equal(digest(), before, 'native/hako-init unchanged');
  });
});
