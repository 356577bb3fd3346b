// Builds OCI image layouts for the bench (the busybox rootfs as one layer, plus a multi-layer image
// for the pull section) in TypeScript with tar-stream and zlib, so the bench needs no tar binary;
// skopeo then pushes them to the local registry.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import tar from 'tar-stream';

export interface TarFile {
  name: string;
  data: Buffer;
  mode?: number;
}

function collect(pack: tar.Pack): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
}

/** An uncompressed tar of everything below `dir` (directories, regular files, symlinks), with
 *  paths relative to `dir`, owned by root. */
export async function tarDirectory(dir: string): Promise<Buffer> {
  const pack = tar.pack();
  const done = collect(pack);
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs);
      const common = { name: r, mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: st.mtime };
      if (st.isDirectory()) {
        pack.entry({ ...common, type: 'directory' });
        walk(r);
      } else if (st.isSymbolicLink()) {
        pack.entry({ ...common, type: 'symlink', linkname: fs.readlinkSync(abs) });
      } else if (st.isFile()) {
        pack.entry({ ...common, type: 'file' }, fs.readFileSync(abs));
      }
    }
  };
  walk('');
  pack.finalize();
  return done;
}

export async function tarOfFiles(files: TarFile[]): Promise<Buffer> {
  const pack = tar.pack();
  const done = collect(pack);
  for (const f of files) pack.entry({ name: f.name, mode: f.mode ?? 0o644, uid: 0, gid: 0 }, f.data);
  pack.finalize();
  return done;
}

const sha256 = (b: Buffer | string): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

function writeBlob(layout: string, data: Buffer | string): { digest: string; size: number } {
  const digest = sha256(data);
  const file = path.join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length));
  fs.writeFileSync(file, data);
  return { digest, size: Buffer.byteLength(data) };
}

/** Writes an OCI image layout at `layout` whose one image (`tag`) has the given uncompressed
 *  layer tars, gzip-compressed. */
export function writeOciLayout(layout: string, tag: string, layers: Buffer[]): void {
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const layerDescs = layers.map((raw) => ({
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    ...writeBlob(layout, zlib.gzipSync(raw, { level: 6 })),
  }));
  const config = JSON.stringify({
    architecture: process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch,
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((raw) => sha256(raw)) },
  });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...writeBlob(layout, config) },
    layers: layerDescs,
  });
  const m = writeBlob(layout, manifest);
  fs.writeFileSync(
    path.join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': tag } }],
    }),
  );
}
