// Every endpoint group, each a module that registers its own routes.
import type { ApiContext, Router } from '../router.js';
import * as build from './build.js';
import * as containers from './containers.js';
import * as images from './images.js';
import * as networks from './networks.js';
import * as system from './system.js';
import * as volumes from './volumes.js';

export function registerRoutes(router: Router, api: ApiContext): void {
  for (const group of [system, containers, images, networks, volumes, build]) group.register(router, api);
}
