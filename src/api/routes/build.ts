// The build endpoints: build (tar context, streaming output). Registered here; filled in by the api-images work.
import type { ApiContext, Router } from '../router.js';

export function register(_router: Router, _api: ApiContext): void {}
