// The few system calls layer handling needs and Node lacks: mknod(2) (device nodes, fifos and
// overlayfs char-device whiteouts), lsetxattr(2) (SCHILY.xattr.* from PAX headers, overlay opaque
// markers) and llistxattr/lgetxattr (the copy fallback reads markers and file capabilities).
//
// They run in hako-init's `layer-ops` mode (native/layerops.c), the one C helper hako already has:
// one process per batch (a layer's device nodes and xattrs together, not one per entry), the
// operations in the plan encoding on stdin, the xattr lists on stdout. Why not an npm addon:
// `fs-xattr` (the maintained one) calls setxattr(2), which FOLLOWS symlinks, so an xattr record on
// a hostile symlink would land on a host file, and it has no mknod.
// Paths handed in are already validated by the caller (inside the destination, no symlink parents).

import { spawn } from 'node:child_process';
import { HakoError } from '../../util/errors.js';
import { findHelper } from '../../runtime/helper.js';
import { decodeOpBytes, encodePlan, type Op } from '../../runtime/plan/encode.js';

export type SysOp =
  /** Create a char/block device or fifo, then lchown (if uid >= 0) and chmod it. */
  | { op: 'mknod'; path: string; kind: 'char' | 'block' | 'fifo'; mode: number; major: number; minor: number; uid: number; gid: number }
  /** Set one extended attribute without following a final symlink. */
  | { op: 'lsetxattr'; path: string; name: string; value: Buffer };

export interface LayerSys {
  /** Run the operations in order; stops at the first failure with a HakoError naming op and path. */
  run(ops: SysOp[]): Promise<void>;
  /** All extended attributes of each path (not following symlinks); missing paths give {}. */
  listXattrs(paths: string[]): Promise<Array<Record<string, Buffer>>>;
}

/** Runs `hako-init layer-ops` with `ops`; resolves with its stdout. */
function runLayerOps(ops: Op[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(findHelper(), ['layer-ops'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => reject(new HakoError(`layer helper ${findHelper()}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(stdout));
      else reject(new HakoError(`layer: ${stderr.trim().split('\n').pop()?.replace(/^hako-init: /, '') || `hako-init exited with ${code}`}`));
    });
    child.stdin.on('error', () => { /* reported through close */ });
    child.stdin.end(encodePlan(ops));
  });
}

function toOp(o: SysOp): Op {
  return o.op === 'mknod'
    ? ['node', o.path, o.kind, String(o.mode), String(o.major), String(o.minor), String(o.uid), String(o.gid)]
    : ['lsetxattr', o.path, o.name, o.value];
}

/** Default LayerSys: batches through one hako-init (see the comment at the top). */
export const helperSys: LayerSys = {
  async run(ops) {
    if (ops.length > 0) await runLayerOps(ops.map(toOp));
  },
  async listXattrs(paths) {
    if (paths.length === 0) return [];
    const out = await runLayerOps(paths.map((p) => ['llistxattr', p]));
    const lists: Array<Record<string, Buffer>> = [];
    for (let pos = 0; pos < out.length;) {
      const record = decodeOpBytes(out, pos);
      if (!record || record.op[0]?.toString() !== 'xattrs') throw new HakoError('layer: hako-init layer-ops sent a malformed xattr list');
      const list: Record<string, Buffer> = {};
      for (let i = 1; i + 1 < record.op.length; i += 2) list[record.op[i]!.toString('utf8')] = Buffer.from(record.op[i + 1]!);
      lists.push(list);
      pos += record.length;
    }
    if (lists.length !== paths.length) throw new HakoError(`layer: asked for ${paths.length} xattr lists, got ${lists.length}`);
    return lists;
  },
};
