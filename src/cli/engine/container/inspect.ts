// `hako container inspect`: containers only, as docker's `container inspect`.
import { inspectCommand } from '../inspect.js';

export default inspectCommand('container');
