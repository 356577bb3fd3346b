// The images endpoints: images/create (pull), json, {name}/json, push, tag, DELETE, load, get, prune. Registered here; filled in by the api-images work.
import type { ApiContext, Router } from '../router.js';

export function register(_router: Router, _api: ApiContext): void {}
