// A step's layer (src/build/layer.ts) keeps xattrs as the bytes they are: a file capability
// (security.capability, binary) and a user xattr with a NUL and 0xff survive the round trip
// through the layer tar and hako's own unpacker. Long names and link targets go through PAX.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentStore } from '../../../src/storage/store/index.js';
import { unpackLayer } from '../../../src/storage/layers/index.js';
import { layerFromUpper } from '../../../src/build/layer.js';

const skip = process.getuid?.() !== 0 ? 'needs root (security.capability, chown)' : false;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const py = (code: string, ...args: string[]) => execFileSync('python3', ['-c', code, ...args], { encoding: 'latin1' });
// VFS_CAP_REVISION_2 with the effective flag, cap_net_raw (13) permitted.
const CAP = "import os,struct,sys; os.setxattr(sys.argv[1], 'security.capability', struct.pack('<IIIII', 0x02000001, 1 << 13, 0, 0, 0))";
const USER = "import os,sys; os.setxattr(sys.argv[1], 'user.bin', b'\\x00\\xff\\x01')";
const GET = 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())';

describe('build layers', { skip }, () => {
  it('keep binary xattrs, long names and long link targets', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hako-build-layer-'));
    dirs.push(root);
    const upper = path.join(root, 'upper');
    const long = 'l'.repeat(150);
    fs.mkdirSync(path.join(upper, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(upper, 'bin', 'ping'), 'ELF');
    fs.writeFileSync(path.join(upper, long), 'long');
    fs.symlinkSync(`/${'t'.repeat(200)}`, path.join(upper, 'link'));
    py(CAP, path.join(upper, 'bin', 'ping'));
    py(USER, path.join(upper, long));
    const store = new ContentStore(path.join(root, 'store'));
    const layer = await layerFromUpper(store, upper, new Set());
    assert.ok(layer);
    const out = path.join(root, 'out');
    fs.mkdirSync(out);
    const r = await unpackLayer(store.openBlob(layer.digest), out, { mode: 'flatten' });
    assert.equal(r.diffID, layer.diffID);
    assert.equal(py(GET, path.join(out, 'bin', 'ping'), 'security.capability').trim(), '010000020020000000000000000000000000000000'.slice(0, 40));
    assert.equal(py(GET, path.join(out, long), 'user.bin').trim(), '00ff01');
    assert.equal(fs.readFileSync(path.join(out, long), 'utf8'), 'long');
    assert.equal(fs.readlinkSync(path.join(out, 'link')), `/${'t'.repeat(200)}`);
  });
});
