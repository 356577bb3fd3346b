// The few system calls layer handling needs and Node lacks: mknod(2) (device nodes, fifos and
// overlayfs char-device whiteouts), lsetxattr(2) (SCHILY.xattr.* from PAX headers, overlay opaque
// markers) and llistxattr/lgetxattr (the copy fallback reads markers and file capabilities).
//
// Why not an npm addon: `fs-xattr` (the maintained one) calls setxattr(2), which FOLLOWS symlinks —
// an xattr record on a hostile symlink would land on a host file — and it has no mknod. Why not
// hako-init: it already has a `mknod` plan op but no xattr op yet, and it runs whole container plans.
// So the default implementation is a stopgap: ONE `python3` process per batch (not per entry), fed a
// JSON list on stdin, using os.mknod/os.mkfifo/os.setxattr(follow_symlinks=False). Everything goes
// through the LayerSys interface, so replacing it with hako-init operations later changes one file.
// Paths handed in are already validated by the caller (inside the destination, no symlink parents).

import { spawn } from 'node:child_process';
import { HakoError } from '../../util/errors.js';

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

const SCRIPT = String.raw`
import sys, os, json, base64, stat, errno
req = json.load(sys.stdin)
out = []
def fail(op, path, e):
    sys.stderr.write("%s %s: %s\n" % (op, path, os.strerror(e.errno) if e.errno else str(e)))
    sys.exit(1)
if req["cmd"] == "run":
    for o in req["ops"]:
        p = o["path"]
        try:
            if o["op"] == "mknod":
                k = o["kind"]
                if k == "fifo":
                    os.mkfifo(p, 0o600)
                else:
                    t = stat.S_IFCHR if k == "char" else stat.S_IFBLK
                    os.mknod(p, t | 0o600, os.makedev(o["major"], o["minor"]))
                if o["uid"] >= 0:
                    os.lchown(p, o["uid"], o["gid"])
                os.chmod(p, o["mode"])
            elif o["op"] == "lsetxattr":
                os.setxattr(p, o["name"], base64.b64decode(o["value"]), follow_symlinks=False)
        except OSError as e:
            fail(o["op"], p, e)
else:
    for p in req["paths"]:
        r = {}
        try:
            for n in os.listxattr(p, follow_symlinks=False):
                r[n] = base64.b64encode(os.getxattr(p, n, follow_symlinks=False)).decode()
        except FileNotFoundError:
            pass
        except OSError as e:
            if e.errno not in (errno.ENOTSUP, errno.EOPNOTSUPP):
                fail("listxattr", p, e)
        out.append(r)
json.dump(out, sys.stdout)
`;

function runPython(request: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => reject(new HakoError(`layer helper python3: ${(e as Error).message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(stdout);
      else reject(new HakoError(`layer helper: ${stderr.trim().split('\n').pop() || `exit ${code}`}`));
    });
    child.stdin.on('error', () => { /* reported through close */ });
    child.stdin.end(JSON.stringify(request));
  });
}

/** Default LayerSys: batches through one python3 process (see the comment at the top). */
export const pythonSys: LayerSys = {
  async run(ops) {
    if (ops.length === 0) return;
    // mknod on a path that is a symlink would not follow it (it fails with EEXIST), and chmod in the
    // script runs on the node just created, which is never a symlink.
    await runPython({ cmd: 'run', ops: ops.map((o) => (o.op === 'lsetxattr' ? { ...o, value: o.value.toString('base64') } : o)) });
  },
  async listXattrs(paths) {
    if (paths.length === 0) return [];
    const res = JSON.parse(await runPython({ cmd: 'list', paths })) as Array<Record<string, string>>;
    return res.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.from(v, 'base64')])));
  },
};

let current: LayerSys = pythonSys;
/** The LayerSys used when a caller passes none (the runtime may install a hako-init based one). */
export function defaultSys(): LayerSys { return current; }
export function setDefaultSys(sys: LayerSys): void { current = sys; }
