// Pull and push progress as docker's JSON messages (the lines of `POST /images/create` and
// `POST /images/{name}/push`): what docker's CLI, compose and the Python package read and draw.
// The events come from pull()/push() as data; these turn them into messages, one object per line.
import type { PullEvent } from './pull.js';
import type { PushEvent } from './push.js';
import type { ImageReference } from '../oci/image/reference.js';
import { human } from './progress.js';

export interface JSONMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { message: string };
}

const shortId = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** docker's progress bar text: `[====>      ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  const width = 50;
  const fill = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  return `[${'='.repeat(Math.max(0, fill - 1))}${fill > 0 ? '>' : ''}${' '.repeat(width - fill)}] ${human(current)}/${human(total)}`;
}

/** The error line docker ends a failed stream with. */
export function errorMessage(message: string): JSONMessage {
  return { errorDetail: { message }, error: message };
}

/** Pull events to docker's messages. `familiar` is the name as the client gave it (`busybox:latest`).
 *  Config blobs are not layers: docker shows none of them. Progress lines are thinned to one per
 *  blob per ~1% so a large layer does not become thousands of lines. */
export function pullMessages(ref: ImageReference, familiar: string, emit: (m: JSONMessage) => void): (e: PullEvent) => void {
  const configs = new Set<string>();
  const lastPercent = new Map<string, number>();
  let downloaded = false;
  return (e) => {
    if (e.type === 'blob-start' && e.kind === 'config') configs.add(e.digest);
    if ((e.type === 'blob-start' || e.type === 'blob-progress' || e.type === 'blob-done') && configs.has(e.digest)) return;
    switch (e.type) {
      case 'resolved':
        emit({ status: `Pulling from ${ref.path}`, id: ref.tag ?? ref.digest ?? 'latest' });
        break;
      case 'blob-start':
        emit({ status: 'Pulling fs layer', progressDetail: {}, id: shortId(e.digest) });
        break;
      case 'blob-progress': {
        const pct = e.total > 0 ? Math.floor((e.current / e.total) * 100) : 0;
        if (lastPercent.get(e.digest) === pct) return;
        lastPercent.set(e.digest, pct);
        emit({
          status: 'Downloading',
          progressDetail: { current: e.current, total: e.total },
          progress: progressBar(e.current, e.total),
          id: shortId(e.digest),
        });
        break;
      }
      case 'blob-done':
        if (e.cached) emit({ status: 'Already exists', progressDetail: {}, id: shortId(e.digest) });
        else {
          downloaded = true;
          emit({ status: 'Download complete', progressDetail: {}, id: shortId(e.digest) });
          emit({ status: 'Pull complete', progressDetail: {}, id: shortId(e.digest) });
        }
        break;
      case 'done':
        emit({ status: `Digest: ${e.digest}` });
        emit({ status: downloaded ? `Status: Downloaded newer image for ${familiar}` : `Status: Image is up to date for ${familiar}` });
        break;
    }
  };
}

/** Push events to docker's messages, ending with the `aux` record docker's clients read the digest from. */
export function pushMessages(dest: ImageReference, emit: (m: JSONMessage) => void): (e: PushEvent) => void {
  emit({ status: `The push refers to repository [${dest.name}]` });
  return (e) => {
    if (e.type === 'blob-start' && e.kind === 'layer') emit({ status: 'Preparing', progressDetail: {}, id: shortId(e.digest) });
    if (e.type === 'blob' && e.kind === 'layer') {
      const status = e.result === 'exists' ? 'Layer already exists' : e.result === 'mounted' ? `Mounted from ${e.from}` : 'Pushed';
      emit({ status, progressDetail: {}, id: shortId(e.digest) });
    }
    if (e.type === 'manifest' && e.top) {
      emit({ status: `${e.tag}: digest: ${e.digest} size: ${e.size}` });
      emit({ progressDetail: {}, aux: { Tag: e.tag, Digest: e.digest, Size: e.size } });
    }
  };
}
