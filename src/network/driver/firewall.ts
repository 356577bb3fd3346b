// The host firewall of the bridge driver: masquerade for every network's subnet, and published ports
// (DNAT), written in ONE batch per change with the firewall's own tool, as docker and netavark do:
// `nft -f -` with one table `ip hako`, or `iptables-restore --noflush` with chains HAKO-* where nft is
// missing. Each batch is the whole wanted state, regenerated from the host-wide plan (ipam.ts) under
// its lock, so the table is never patched rule by rule and a crash leaves nothing to undo by hand.
// HAKO_FIREWALL=nft|iptables chooses the backend (tests run both).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { HakoError } from '../../util/errors.js';
import type { PortOwner } from './ipam.js';

export interface FirewallState {
  subnets: string[];
  /** Published ports: key "PROTO/HOSTIP/PORT" (ipam.ts portKey) -> the container's address and port. */
  ports: Record<string, PortOwner>;
}

const PATHS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const ENV = { PATH: PATHS.join(':') };

function tool(name: string): string | undefined {
  return PATHS.map((d) => `${d}/${name}`).find((p) => fs.existsSync(p));
}

export function backend(): 'nft' | 'iptables' {
  const want = process.env.HAKO_FIREWALL;
  if (want === 'nft' || want === 'iptables') return want;
  return tool('nft') ? 'nft' : 'iptables';
}

interface Port {
  protocol: string;
  hostIP: string;
  hostPort: number;
  ip: string;
  port: number;
}
function ports(state: FirewallState): Port[] {
  return Object.entries(state.ports)
    .map(([k, o]) => {
      const [protocol, hostIP, hostPort] = k.split('/');
      return { protocol, hostIP, hostPort: Number(hostPort), ip: o.ip, port: o.port };
    })
    .sort((a, b) => a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol));
}

/** The nft batch: the table made if missing, flushed (rules and elements), and filled again. */
export function nftScript(state: FirewallState): string {
  const all = ports(state);
  const specific = all.filter((p) => p.hostIP !== '0.0.0.0').map((p) => `${p.hostIP} . ${p.protocol} . ${p.hostPort} : ${p.ip} . ${p.port}`);
  const any = all.filter((p) => p.hostIP === '0.0.0.0').map((p) => `${p.protocol} . ${p.hostPort} : ${p.ip} . ${p.port}`);
  const elements = (e: string[]) => (e.length ? `\n    elements = { ${e.join(', ')} }` : '');
  const subnets = state.subnets.length ? `\n    elements = { ${state.subnets.join(', ')} }` : '';
  // Declared first (a no-op when they exist) so that they can be flushed: `flush table` empties chains
  // but not sets and maps.
  return `table ip hako {
  set subnets { type ipv4_addr; flags interval; }
  map ports { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
  map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
}
flush table ip hako
flush set ip hako subnets
flush map ip hako ports
flush map ip hako ports_any
table ip hako {
  set subnets {
    type ipv4_addr; flags interval;${subnets}
  }
  map ports {
    type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service;${elements(specific)}
  }
  map ports_any {
    type inet_proto . inet_service : ipv4_addr . inet_service;${elements(any)}
  }
  chain published {
    dnat ip to ip daddr . meta l4proto . th dport map @ports
    dnat ip to meta l4proto . th dport map @ports_any
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local jump published
  }
  chain output {
    type nat hook output priority -100; policy accept;
    fib daddr type local jump published
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr @subnets ip daddr != @subnets masquerade
    ct status dnat ip saddr 127.0.0.0/8 masquerade
    ct status dnat ip saddr @subnets ip daddr @subnets masquerade
  }
}
`;
}

/** The iptables-restore batch: our chains declared (which flushes them) and filled; the jumps to
 *  them from the built-in chains are added by ensureJumps once. */
export function iptablesScript(state: FirewallState): string {
  const nat = [':HAKO-DNAT - [0:0]', ':HAKO-POSTROUTING - [0:0]'];
  for (const p of ports(state)) {
    const dst = p.hostIP === '0.0.0.0' ? '' : `-d ${p.hostIP}/32 `;
    nat.push(`-A HAKO-DNAT ${dst}-p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort} -j DNAT --to-destination ${p.ip}:${p.port}`);
  }
  for (const s of state.subnets) nat.push(`-A HAKO-POSTROUTING -s ${s} ! -d ${s} -j MASQUERADE`);
  nat.push('-A HAKO-POSTROUTING -s 127.0.0.0/8 -m conntrack --ctstate DNAT -j MASQUERADE');
  for (const s of state.subnets) nat.push(`-A HAKO-POSTROUTING -s ${s} -d ${s} -m conntrack --ctstate DNAT -j MASQUERADE`);
  const filter = [':HAKO-FORWARD - [0:0]'];
  for (const s of state.subnets) {
    filter.push(`-A HAKO-FORWARD -s ${s} -j ACCEPT`, `-A HAKO-FORWARD -d ${s} -j ACCEPT`);
  }
  return `*nat\n${nat.join('\n')}\nCOMMIT\n*filter\n${filter.join('\n')}\nCOMMIT\n`;
}

const JUMPS: [string, string, string][] = [
  ['nat', 'PREROUTING', '-m addrtype --dst-type LOCAL -j HAKO-DNAT'],
  ['nat', 'OUTPUT', '-m addrtype --dst-type LOCAL -j HAKO-DNAT'],
  ['nat', 'POSTROUTING', '-j HAKO-POSTROUTING'],
  ['filter', 'FORWARD', '-j HAKO-FORWARD'],
];

function run(cmd: string, args: string[], input: string): void {
  const bin = tool(cmd);
  if (!bin) throw new HakoError(`firewall: ${cmd} not found (install nftables or iptables)`);
  const r = spawnSync(bin, args, { input, encoding: 'utf8', env: ENV });
  if (r.error) throw new HakoError(`firewall: ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new HakoError(`firewall: ${cmd} ${args.join(' ')} failed: ${String(r.stderr).trim().split('\n').slice(0, 2).join(' ')}`);
}

/** Adds the jumps into HAKO-* where missing (the chains exist: the batch before made them). */
function ensureJumps(): void {
  const saved = spawnSync(tool('iptables-save') ?? 'iptables-save', [], { encoding: 'utf8', env: ENV }).stdout ?? '';
  const missing = JUMPS.filter(([, chain, rule]) => !saved.includes(`-A ${chain} ${rule}`));
  if (missing.length === 0) return;
  const byTable = (t: string) => missing.filter((j) => j[0] === t).map(([, chain, rule]) => `-I ${chain} 1 ${rule}`);
  const script = ['nat', 'filter']
    .filter((t) => byTable(t).length)
    .map((t) => `*${t}\n${byTable(t).join('\n')}\nCOMMIT\n`)
    .join('');
  run('iptables-restore', ['-w', '--noflush'], script);
}

/** Makes the host firewall what `state` says (one batch). */
export function applyFirewall(state: FirewallState): void {
  if (backend() === 'nft') {
    run('nft', ['-f', '-'], nftScript(state));
    return;
  }
  run('iptables-restore', ['-w', '--noflush'], iptablesScript(state));
  ensureJumps();
}
