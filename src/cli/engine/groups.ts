// The engine's command groups: `hako network …`, `volume …`, `pod …`, `system …` (docker's management
// groups, `hako container …` and `hako image …`, are in management-groups.ts).
import type { Entry } from '../command.js';
import type { EngineContext } from './common.js';

type EngineEntry = Entry<EngineContext>;

export const NETWORK_COMMANDS: EngineEntry[] = [
  { name: 'create', summary: 'create a bridge network', load: () => import('./network/create.js') },
  { name: 'ls', aliases: ['list'], summary: 'list networks', load: () => import('./network/ls.js') },
  { name: 'inspect', summary: 'networks as JSON', load: () => import('./network/inspect.js') },
  { name: 'rm', aliases: ['remove'], summary: 'remove networks (refused while in use)', load: () => import('./network/rm.js') },
  { name: 'prune', summary: 'remove networks no container uses', load: () => import('./network/prune.js') },
  { name: 'connect', summary: 'connect a container to a network', load: () => import('./network/connect.js') },
  { name: 'disconnect', summary: 'disconnect a container from a network', load: () => import('./network/disconnect.js') },
];

export const VOLUME_COMMANDS: EngineEntry[] = [
  { name: 'create', summary: 'create a named volume', load: () => import('./volume/create.js') },
  { name: 'ls', aliases: ['list'], summary: 'list volumes', load: () => import('./volume/ls.js') },
  { name: 'inspect', summary: 'volumes as JSON', load: () => import('./volume/inspect.js') },
  { name: 'rm', aliases: ['remove'], summary: 'remove volumes (refused while in use)', load: () => import('./volume/rm.js') },
  { name: 'prune', summary: 'remove anonymous volumes no container uses (-a: all unused)', load: () => import('./volume/prune.js') },
];

export const POD_COMMANDS: EngineEntry[] = [
  { name: 'create', summary: 'create a pod: an infra container whose namespaces its containers share', load: () => import('./pod/create.js') },
  { name: 'ls', aliases: ['ps', 'list'], summary: 'list pods', load: () => import('./pod/ls.js') },
  { name: 'inspect', summary: 'pods as JSON', load: () => import('./pod/inspect.js') },
  { name: 'start', summary: 'start pods (the infra container first)', load: () => import('./pod/start.js') },
  { name: 'stop', summary: "stop pods' containers, then their infra", load: () => import('./pod/stop.js') },
  { name: 'restart', summary: 'stop and start pods', load: () => import('./pod/restart.js') },
  { name: 'kill', summary: "signal pods' running containers", load: () => import('./pod/kill.js') },
  { name: 'rm', aliases: ['remove'], summary: 'remove pods and their containers (-f: running ones too)', load: () => import('./pod/rm.js') },
  { name: 'prune', summary: 'remove pods with nothing running', load: () => import('./pod/prune.js') },
];

export const SYSTEM_COMMANDS: EngineEntry[] = [
  { name: 'df', summary: 'space used by images, containers and volumes', load: () => import('./system/df.js') },
  { name: 'events', summary: 'what the engine did, and then does (hako events)', load: () => import('./events.js') },
  { name: 'info', summary: 'the engine and the host (hako info)', load: () => import('./info.js') },
  { name: 'prune', summary: 'remove stopped containers, unused networks, dangling images', load: () => import('./system/prune.js') },
  { name: 'service', summary: 'serve the Docker Engine API on a Unix socket', load: () => import('./system/service.js') },
];

export const BUILDER_COMMANDS: EngineEntry[] = [
  { name: 'build', summary: 'build an image from a Dockerfile', load: () => import('./build.js') },
  { name: 'prune', summary: 'remove build cache (dangling entries; -a: all)', load: () => import('./builder/prune.js') },
];
