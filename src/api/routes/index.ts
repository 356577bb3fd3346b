// Every endpoint group, each a module that registers its own routes.
import type { ApiContext, Router } from '../router.js';
import * as archive from './archive.js';
import * as build from './build.js';
import * as containerIo from './container-io.js';
import * as exec from './exec.js';
import * as containers from './containers.js';
import * as images from './images.js';
import * as networks from './networks.js';
import * as stats from './stats.js';
import * as system from './system.js';
import * as volumes from './volumes.js';

export function registerRoutes(router: Router, api: ApiContext): void {
  for (const group of [system, containers, containerIo, exec, archive, stats, images, networks, volumes, build]) group.register(router, api);
}
