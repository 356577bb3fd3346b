// `hako image inspect`: images only, as docker's `image inspect` (the document of `GET /images/{name}/json`).
import { inspectCommand } from '../inspect.js';

export default inspectCommand('image');
