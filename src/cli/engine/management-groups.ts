// docker's management groups, which name top-level commands again: `hako container ls` is
// `hako ps`, `hako image pull` is `hako pull`.
import type { Entry } from '../command.js';
import type { EngineContext } from './common.js';

type EngineEntry = Entry<EngineContext>;

/** docker's management groups name the top-level commands again: `hako container ls` is `hako ps`. */
const CONTAINER_ALIASES: [string, string, string][] = [
  ['attach', './attach.js', "this terminal on a running container's stdio"],
  ['checkpoint', './checkpoint.js', 'checkpoint running containers with criu'],
  ['commit', './commit.js', "a new image from a container's changes"],
  ['cp', './cp.js', 'copy files between a container and the host'],
  ['create', './create.js', 'create a container'],
  ['diff', './diff.js', "a container's changes to its image"],
  ['exec', './exec.js', 'run a command in a running container'],
  ['export', './export.js', "a container's root filesystem as a tar"],
  ['kill', './kill.js', 'signal containers'],
  ['logs', './logs.js', "a container's output"],
  ['pause', './pause.js', "freeze a container's processes"],
  ['port', './port.js', "a container's published ports"],
  ['rename', './rename.js', 'rename a container'],
  ['restart', './restart.js', 'stop, then start containers'],
  ['restore', './restore.js', 'restore checkpointed containers, or one from an archive'],
  ['rm', './rm.js', 'remove containers'],
  ['run', './run.js', 'create and start a container'],
  ['start', './start.js', 'start containers'],
  ['stats', './stats.js', 'CPU, memory and pids of running containers'],
  ['stop', './stop.js', 'stop containers'],
  ['top', './top.js', "a container's processes"],
  ['unpause', './unpause.js', 'thaw a paused container'],
  ['update', './update.js', "change a container's limits"],
  ['wait', './wait.js', 'wait for containers to exit'],
];

const IMAGE_ALIASES: [string, string, string][] = [
  ['build', './build.js', 'build an image from a Dockerfile'],
  ['history', './history.js', 'the steps that made an image'],
  ['import', './import.js', 'a rootfs tarball as an image'],
  ['load', './load.js', 'load an image archive'],
  ['pull', './pull.js', 'download an image'],
  ['push', './push.js', 'upload an image'],
  ['save', './save.js', "save images as docker's archive (an OCI layout too)"],
  ['tag', './tag.js', 'another name for an image'],
];

// A literal import() per file: Bun's bundler must see each path to make its chunk.
const LOADERS: Record<string, EngineEntry['load']> = {
  './attach.js': () => import('./attach.js'),
  './checkpoint.js': () => import('./checkpoint.js'),
  './commit.js': () => import('./commit.js'),
  './cp.js': () => import('./cp.js'),
  './create.js': () => import('./create.js'),
  './diff.js': () => import('./diff.js'),
  './exec.js': () => import('./exec.js'),
  './export.js': () => import('./export.js'),
  './kill.js': () => import('./kill.js'),
  './logs.js': () => import('./logs.js'),
  './pause.js': () => import('./pause.js'),
  './port.js': () => import('./port.js'),
  './rename.js': () => import('./rename.js'),
  './restart.js': () => import('./restart.js'),
  './restore.js': () => import('./restore.js'),
  './rm.js': () => import('./rm.js'),
  './run.js': () => import('./run.js'),
  './start.js': () => import('./start.js'),
  './stats.js': () => import('./stats.js'),
  './stop.js': () => import('./stop.js'),
  './top.js': () => import('./top.js'),
  './unpause.js': () => import('./unpause.js'),
  './update.js': () => import('./update.js'),
  './wait.js': () => import('./wait.js'),
  './build.js': () => import('./build.js'),
  './history.js': () => import('./history.js'),
  './import.js': () => import('./import.js'),
  './load.js': () => import('./load.js'),
  './pull.js': () => import('./pull.js'),
  './push.js': () => import('./push.js'),
  './save.js': () => import('./save.js'),
  './tag.js': () => import('./tag.js'),
};

const aliases = (list: [string, string, string][]): EngineEntry[] => list.map(([name, file, summary]) => ({ name, summary, load: LOADERS[file] }));

export const CONTAINER_COMMANDS: EngineEntry[] = [
  { name: 'ls', aliases: ['ps', 'list'], summary: 'list containers', load: () => import('./ps.js') },
  { name: 'prune', summary: 'remove every stopped container', load: () => import('./container/prune.js') },
  { name: 'inspect', summary: "containers as docker's JSON", load: () => import('./container/inspect.js') },
  ...aliases(CONTAINER_ALIASES),
];

export const IMAGE_COMMANDS: EngineEntry[] = [
  { name: 'ls', aliases: ['list'], summary: 'list images', load: () => import('./images.js') },
  { name: 'rm', aliases: ['remove'], summary: 'remove images', load: () => import('./rmi.js') },
  { name: 'prune', summary: 'remove dangling images (-a: every unused image)', load: () => import('./image/prune.js') },
  { name: 'inspect', summary: "images as docker's JSON", load: () => import('./image/inspect.js') },
  ...aliases(IMAGE_ALIASES),
];
