// Builds the built-in busybox bundle under /var/lib/hako/demo (once) and runs it with hako runtime.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { makeBusyboxRootfs } = await import(path.join(repo, 'build/test/fixtures/busybox.js'));
const { defaultSpec } = await import(path.join(repo, 'build/src/runtime/spec/default.js'));

const bundle = '/var/lib/hako/demo';
if (!fs.existsSync(path.join(bundle, 'rootfs/bin/busybox'))) {
  fs.mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  makeBusyboxRootfs(path.join(bundle, 'rootfs'));
}
const spec = defaultSpec();
const interactive = process.stdin.isTTY && process.argv.includes('-it');
spec.process.terminal = interactive;
spec.process.args = interactive ? ['sh'] : ['sh', '-c', [
  'echo "hello from a hako container: hostname $(hostname), I am PID $$, user $(id -un)"',
  'echo "--- ps (only the container\'s processes):"; ps',
  'echo "--- my namespaces:"; ls -l /proc/self/ns | sed -n "s/.* \\([a-z_]*\\) -> \\(.*\\)/  \\1 \\2/p"',
  'echo "--- capabilities:"; grep Cap /proc/self/status',
  'true',
].join('; ')];
fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
const r = spawnSync(process.execPath, [path.join(repo, 'bin/hako'), 'runtime', 'run', '--bundle', bundle, `demo-${process.pid}`], { stdio: 'inherit' });
process.exit(r.status ?? 1);
