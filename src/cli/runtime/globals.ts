// The runtime's global flags, before the command as runc's: --root, --log, --log-format, --debug.
import { HakoError } from '../../util/errors.js';
import { defaultRoot } from '../../runtime/root.js';
import { writeErr } from '../../util/stdio.js';

export const GLOBAL_FLAGS = `global flags:
  --root DIR              state directory (default /run/hako; rootless $XDG_RUNTIME_DIR/hako, else /tmp/hako-$UID)
  --log FILE              also append errors (and --debug lines) to FILE
  --log-format text|json  format of --log lines (default text)
  --debug                 record the command, its plan and its phases (in --log FILE, else stderr)
  --systemd-cgroup        the systemd cgroup driver: a transient scope per container, made over
                          D-Bus (linux.cgroupsPath slice:prefix:name, default system.slice:hako:ID)
  --rootless VALUE, --criu PATH   accepted for runc compatibility (rootless is detected)
  -h, --help / -v, --version`;

export interface Globals {
  root: string;
  logFile?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
  rest: string[];
  /** A global flag that is all there is to do. */
  only?: 'help' | 'version';
}

/** The global flags, before the command as with runc. */
export function readGlobals(argv: string[]): Globals {
  const g: Globals = { root: '', logFormat: 'text', debug: false, systemdCgroup: false, rest: [] };
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--root':
        g.root = value();
        break;
      case '--log':
        g.logFile = value();
        break;
      case '--log-format': {
        const f = value();
        if (f !== 'text' && f !== 'json') throw new HakoError(`--log-format: must be text or json, got "${f}"`);
        g.logFormat = f;
        break;
      }
      case '--debug':
        g.debug = true;
        break;
      case '--systemd-cgroup':
        g.systemdCgroup = true;
        break;
      case '--rootless':
        value();
        break; // auto-detected from the euid, like runc's "auto"
      case '--criu':
        value();
        break;
      case '-h':
      case '--help':
        return { ...g, only: 'help' };
      case '-v':
      case '--version':
        return { ...g, only: 'version' };
      default:
        throw new HakoError(`unknown global flag ${flag}`);
    }
  }
  // Decided after the flags: --root needs no default, and the fallback's note is said only when used.
  return { ...g, root: g.root || defaultRoot((note) => writeErr(`hako: ${note}\n`)), rest: argv.slice(i) };
}
