// `hako build`: Dockerfiles to OCI images in the store (builder.ts; README.md in this folder).
export { build, type BuildOptions, type BuildResult } from './builder.js';
export { parseDockerfile, DockerfileError, type Dockerfile, type Instruction } from './dockerfile.js';
export { expandWord, expandWords } from './expand.js';
export { parseDockerignore, isIgnored, patternRegExp } from './patterns.js';
export { buildFromTar, unpackContext } from './context-tar.js';
