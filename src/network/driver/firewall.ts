// The host firewall of the bridge driver: masquerade for every network's subnet, and published ports
// (DNAT), written in ONE batch per change with the firewall's own tool, as docker and netavark do:
// `nft -f -` with one table `ip hako` (and `ip6 hako` for dual-stack networks), or
// `iptables-restore --noflush` (and ip6tables-restore) with chains HAKO-* where nft is missing. Each batch is the whole wanted state, regenerated from the host-wide plan (ipam.ts) under
// its lock, so the table is never patched rule by rule and a crash leaves nothing to undo by hand.
// HAKO_FIREWALL=nft|iptables chooses the backend (tests run both).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { HakoError } from '../../util/errors.js';
import type { PortOwner } from './ipam.js';

export interface FirewallState {
  subnets: string[];
  /** IPv6 subnets of dual-stack networks (table `ip6 hako`, or ip6tables-restore). */
  subnets6?: string[];
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

const V4 = { family: 'ip', addr: 'ipv4_addr', loopback: '127.0.0.0/8', any: '0.0.0.0', all: '0.0.0.0/0' } as const;
const V6 = { family: 'ip6', addr: 'ipv6_addr', loopback: '::1', any: '::', all: '::/0' } as const;
type Family = typeof V4 | typeof V6;

/** The ports of one family: a key of that family's host address, or of all addresses (0.0.0.0, and
 *  `::` for IPv6) when the container has an address of that family. */
function ports(state: FirewallState, f: Family): Port[] {
  return Object.entries(state.ports)
    .flatMap(([k, o]) => {
      const [protocol, hostIP, hostPort] = k.split('/');
      const ip = f === V6 ? o.ip6 : o.ip;
      const mine = hostIP === '0.0.0.0' || hostIP.includes(':') === (f === V6);
      if (!ip || !mine) return [];
      return [{ protocol, hostIP: hostIP === '0.0.0.0' ? f.any : hostIP, hostPort: Number(hostPort), ip, port: o.port }];
    })
    .sort((a, b) => a.hostPort - b.hostPort || a.protocol.localeCompare(b.protocol));
}

/** One family's nft table: declared (a no-op when present) so that it can be flushed — `flush
 *  table` empties chains but not sets and maps — then filled again. */
function nftTable(f: Family, subnets: string[], all: Port[]): string {
  const t = `${f.family} hako`;
  const specific = all.filter((p) => p.hostIP !== f.any).map((p) => `${p.hostIP} . ${p.protocol} . ${p.hostPort} : ${p.ip} . ${p.port}`);
  const any = all.filter((p) => p.hostIP === f.any).map((p) => `${p.protocol} . ${p.hostPort} : ${p.ip} . ${p.port}`);
  const elements = (e: string[]) => (e.length ? `\n    elements = { ${e.join(', ')} }` : '');
  const a = f.family;
  return `table ${t} {
  set subnets { type ${f.addr}; flags interval; }
  map ports { type ${f.addr} . inet_proto . inet_service : ${f.addr} . inet_service; }
  map ports_any { type inet_proto . inet_service : ${f.addr} . inet_service; }
}
flush table ${t}
flush set ${t} subnets
flush map ${t} ports
flush map ${t} ports_any
table ${t} {
  set subnets {
    type ${f.addr}; flags interval;${elements(subnets)}
  }
  map ports {
    type ${f.addr} . inet_proto . inet_service : ${f.addr} . inet_service;${elements(specific)}
  }
  map ports_any {
    type inet_proto . inet_service : ${f.addr} . inet_service;${elements(any)}
  }
  chain published {
    dnat ${a} to ${a} daddr . meta l4proto . th dport map @ports
    dnat ${a} to meta l4proto . th dport map @ports_any
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
    ${a} saddr @subnets ${a} daddr != @subnets masquerade
    ct status dnat ${a} saddr ${f.loopback} masquerade
    ct status dnat ${a} saddr @subnets ${a} daddr @subnets masquerade
  }
}
`;
}

/** The nft batch: table \`ip hako\`, and \`ip6 hako\` while a network is dual stack (else a leftover
 *  one is deleted: declared empty, then deleted, so that the batch works whether it exists or not). */
export function nftScript(state: FirewallState, ipv6Kernel = true): string {
  const v6 = state.subnets6 ?? [];
  // A kernel without IPv6 never had the table: nothing to delete (and the family may be missing).
  const six = v6.length ? nftTable(V6, v6, ports(state, V6)) : ipv6Kernel ? 'table ip6 hako {}\ndelete table ip6 hako\n' : '';
  return nftTable(V4, state.subnets, ports(state, V4)) + six;
}

/** The iptables-restore (or, with V6, ip6tables-restore) batch: our chains declared (which flushes
 *  them) and filled; the jumps to them from the built-in chains are added by ensureJumps once. */
export function iptablesScript(state: FirewallState, f: Family = V4): string {
  const subnets = f === V6 ? (state.subnets6 ?? []) : state.subnets;
  const host = f === V6 ? 128 : 32;
  const to = f === V6 ? (p: Port) => `[${p.ip}]:${p.port}` : (p: Port) => `${p.ip}:${p.port}`;
  const nat = [':HAKO-DNAT - [0:0]', ':HAKO-POSTROUTING - [0:0]'];
  for (const p of ports(state, f)) {
    const dst = p.hostIP === f.any ? '' : `-d ${p.hostIP}/${host} `;
    nat.push(`-A HAKO-DNAT ${dst}-p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort} -j DNAT --to-destination ${to(p)}`);
  }
  for (const s of subnets) nat.push(`-A HAKO-POSTROUTING -s ${s} ! -d ${s} -j MASQUERADE`);
  nat.push(`-A HAKO-POSTROUTING -s ${f.loopback} -m conntrack --ctstate DNAT -j MASQUERADE`);
  for (const s of subnets) nat.push(`-A HAKO-POSTROUTING -s ${s} -d ${s} -m conntrack --ctstate DNAT -j MASQUERADE`);
  const filter = [':HAKO-FORWARD - [0:0]'];
  for (const s of subnets) {
    filter.push(`-A HAKO-FORWARD -s ${s} -j ACCEPT`, `-A HAKO-FORWARD -d ${s} -j ACCEPT`);
  }
  return `*nat\n${nat.join('\n')}\nCOMMIT\n*filter\n${filter.join('\n')}\nCOMMIT\n`;
}

/** The ip6tables-restore batch (dual-stack networks). */
export const ip6tablesScript = (state: FirewallState): string => iptablesScript(state, V6);

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
function ensureJumps(v6 = false): void {
  const saved = spawnSync(tool(v6 ? 'ip6tables-save' : 'iptables-save') ?? 'iptables-save', [], { encoding: 'utf8', env: ENV }).stdout ?? '';
  const missing = JUMPS.filter(([, chain, rule]) => !saved.includes(`-A ${chain} ${rule}`));
  if (missing.length === 0) return;
  const byTable = (t: string) => missing.filter((j) => j[0] === t).map(([, chain, rule]) => `-I ${chain} 1 ${rule}`);
  const script = ['nat', 'filter']
    .filter((t) => byTable(t).length)
    .map((t) => `*${t}\n${byTable(t).join('\n')}\nCOMMIT\n`)
    .join('');
  run(v6 ? 'ip6tables-restore' : 'iptables-restore', ['-w', '--noflush'], script);
}

/** Whether ip6tables holds our chains (from an earlier dual-stack network: they are emptied then). */
function haveIp6Chains(): boolean {
  const save = tool('ip6tables-save');
  return !!save && (spawnSync(save, ['-t', 'nat'], { encoding: 'utf8', env: ENV }).stdout ?? '').includes(':HAKO-POSTROUTING');
}

/** Makes the host firewall what `state` says (one batch per family in use). */
export function applyFirewall(state: FirewallState): void {
  if (backend() === 'nft') {
    run('nft', ['-f', '-'], nftScript(state, fs.existsSync('/proc/sys/net/ipv6')));
    return;
  }
  run('iptables-restore', ['-w', '--noflush'], iptablesScript(state));
  ensureJumps();
  if (!state.subnets6?.length && !haveIp6Chains()) return;
  run('ip6tables-restore', ['-w', '--noflush'], ip6tablesScript(state));
  ensureJumps(true);
}
