// Fallback cleanup of the bridge plugin's masquerade rules. The plugin (Debian's 1.1.x) tears its
// ipMasq rules down on DEL only when it can read the container's addresses from the interface
// inside the namespace; when the namespace is already gone (the container died and nobody pinned
// the namespace) they stay behind. They are named predictably (libcni's FormatChainName): chain
// "CNI-" + first 24 hex digits of sha512(network name + container id) in the nat table, jumped to
// from POSTROUTING with the comment `name: "<net>" id: "<id>"`. We remove exactly those with the
// iptables tool the plugins themselves use; nothing else in the table is touched.
import { spawnSync } from 'node:child_process';
import { sha512Hex } from '../util/sha256.js';

export function masqChainName(network: string, containerId: string): string {
  return `CNI-${sha512Hex(network + containerId).slice(0, 24)}`;
}

/** Splits one `iptables -S` line into arguments (double quotes with \" escapes). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      quoted = true;
      inWord = true;
    } else if (c === ' ') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

function iptables(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('iptables', ['-w', ...args], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  return { ok: r.status === 0, out: String(r.stdout ?? '') };
}

/** Removes the masquerade chain of (network, container) and the POSTROUTING jumps to it. Returns
 *  how many rules were removed; 0 when there was nothing (the normal case after a good DEL). */
export function removeMasqRules(network: string, containerId: string): number {
  const chain = masqChainName(network, containerId);
  const listed = iptables(['-t', 'nat', '-S', 'POSTROUTING']);
  if (!listed.ok) return 0; // no iptables or no nat table: nothing of ours can be there
  let removed = 0;
  for (const line of listed.out.split('\n')) {
    const args = splitRule(line);
    if (args[0] !== '-A' || args[args.length - 1] !== chain || args[args.length - 2] !== '-j') continue;
    if (iptables(['-t', 'nat', '-D', ...args.slice(1)]).ok) removed++;
  }
  if (iptables(['-t', 'nat', '-F', chain]).ok) {
    iptables(['-t', 'nat', '-X', chain]);
    removed++;
  }
  return removed;
}
