// A tree the build reads but does not trust: the build context, another stage's root filesystem,
// an overlay upper directory a RUN step wrote. Listed and read only through the layer worker
// (`hako-init unpack`, native/unpack.c): `walk` lists it breadth first without following a symlink,
// `read` opens a regular file beneath the tree's fd after checking on an O_PATH fd that it is one.
// No path-taking `fs` call touches such a tree (a symlink in it could point anywhere on the host).
import crypto from 'node:crypto';
import { LayerWorker } from '../storage/layers/worker.js';
import { rec } from '../native/ops.js';
import type { PrivateMount } from '../native/modes.js';
import { parseWalk, type WalkNode } from '../storage/layers/copy.js';

export type TreeNode = WalkNode;

const CHUNK = 1 << 20;

export class SourceTree {
  private constructor(
    readonly dir: string,
    private readonly worker: LayerWorker,
    /** Rootless, a stage's root: the overlay every worker on `dir` mounts for itself first. */
    readonly mount?: PrivateMount,
  ) {}

  nodes: TreeNode[] = [];
  byRel = new Map<string, TreeNode>();
  private readonly hashes = new Map<string, string>();

  /** Lists `dir` (a trusted path to an untrusted tree); `what` names it in errors. */
  static async open(dir: string, what: string, mount?: PrivateMount): Promise<SourceTree> {
    const tree = SourceTree.connect(dir, what, mount);
    try {
      await tree.walk();
      return tree;
    } catch (e) {
      await tree.abort();
      throw e;
    }
  }

  /** The tree without its listing yet (walk() lists it): single files can be read already. */
  static connect(dir: string, what: string, mount?: PrivateMount): SourceTree {
    return new SourceTree(dir, new LayerWorker(dir, dir, what, { mount }), mount);
  }

  async walk(): Promise<void> {
    this.nodes = parseWalk(await this.worker.query(rec('walk'), '.'));
    this.byRel = new Map(this.nodes.map((n) => [n.rel, n]));
  }

  /** Up to `max` bytes of the regular file `rel` from its start (whether listed or not). */
  async head(rel: string, max: number): Promise<Buffer> {
    const [answer] = await this.worker.query(rec('read', rel, '0', String(max)), rel);
    return answer?.[1] ?? Buffer.alloc(0);
  }

  /** The content of the regular file `rel`, in chunks. */
  async *content(rel: string, size: number): AsyncGenerator<Buffer> {
    for (let off = 0; off < size; ) {
      const [answer] = await this.worker.query(rec('read', rel, String(off), String(Math.min(CHUNK, size - off))), rel);
      const data = answer?.[1] ?? Buffer.alloc(0);
      if (data.length === 0) throw new Error(`${rel}: the file shrank while it was read`);
      off += data.length;
      yield data;
    }
  }

  /** sha256 of a regular file's content (remembered). */
  async sha256(rel: string): Promise<string> {
    const known = this.hashes.get(rel);
    if (known) return known;
    const n = this.byRel.get(rel);
    const h = crypto.createHash('sha256');
    for await (const c of this.content(rel, n?.size ?? 0)) h.update(c);
    const hex = h.digest('hex');
    this.hashes.set(rel, hex);
    return hex;
  }

  async close(): Promise<void> {
    await this.worker.close();
  }

  async abort(): Promise<void> {
    await this.worker.abort();
  }
}
