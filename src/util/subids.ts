// A user's subordinate id ranges from /etc/subuid and /etc/subgid (shadow-utils' format: one
// `NAME_OR_UID:FIRST:COUNT` a line), the ids newuidmap/newgidmap will map for them.
import fs from 'node:fs';

export interface SubidRange {
  first: number;
  count: number;
}

/** The ranges of the user (by name or uid) in `file`, in file order; [] when the file is missing
 *  or lists none. Malformed lines are skipped, as shadow-utils skips them. */
export function subidRanges(file: string, user: { name?: string; id: number }): SubidRange[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: SubidRange[] = [];
  for (const line of text.split('\n')) {
    const [who, first, count] = line.trim().split(':');
    if (who === undefined || first === undefined || count === undefined) continue;
    if (who !== user.name && who !== String(user.id)) continue;
    const f = Number(first);
    const n = Number(count);
    if (Number.isSafeInteger(f) && Number.isSafeInteger(n) && f > 0 && n > 0) out.push({ first: f, count: n });
  }
  return out;
}
