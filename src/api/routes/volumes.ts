// The volumes endpoints: volumes, volumes/{name}, create, prune. Registered here; filled in by the api-images work.
import type { ApiContext, Router } from '../router.js';

export function register(_router: Router, _api: ApiContext): void {}
