// Whether criu can run on this kernel: `criu check`, whose first error line is the skip reason
// (criu 3.17 on kernels newer than it knows: `vdso: Failed to fill self vdso symtable`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export const CRIU = ['/usr/sbin/criu', '/sbin/criu'].find((p) => fs.existsSync(p));

function check(): string | false {
  if (process.geteuid?.() !== 0) return 'needs root';
  if (!CRIU) return 'needs criu (Debian package criu, scripts/install-deps.sh)';
  const r = spawnSync(CRIU, ['check'], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return false;
  const said = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => /Error/.test(l)) ?? `exit status ${r.status}`;
  return `criu cannot run on this kernel (${fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}): criu check: ${said.trim()}`;
}

/** false, or why checkpoint/restore cannot be tested here. */
export const NO_CRIU: string | false = check();
