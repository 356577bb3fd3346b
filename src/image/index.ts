// Images: references, registry access, pull/push, load/save/import and inspect. Blobs and the image
// index live in the content store (src/storage/store).
export { parseReference, ImageReference, isDigest, isLoopbackRegistry, DEFAULT_DOMAIN, DEFAULT_TAG, DOCKER_IO_REGISTRY } from '../oci/image/reference.js';
export { hostPlatform, selectPlatform, parsePlatform, formatPlatform } from '../oci/image/platform.js';
export { RegistryClient, type RegistryClientOptions, type FetchedManifest } from './registry/client.js';
export { listTags } from './registry/tags.js';
export { parseWWWAuthenticate, loadCredentials, type Challenge, type Credentials } from './registry/auth.js';
export { authFiles, hakoAuthFile, dockerConfigFile, findCredentials, saveCredentials, removeCredentials } from './registry/credentials.js';
export { pull, type PullEvent, type PullOptions } from './pull.js';
export { push, pushPrinter, mountSources, type PushOptions, type PushEvent } from './push.js';
export { createProgressRenderer, type ProgressRenderer } from './progress.js';
export { loadImage, loadImageStream, importRootfs, saveOCILayout, saveOCIArchive, saveArchiveStream } from './archive.js';
export { imageDocument, imageSummaries, imagesById, familiarName, referenceMatches, labelMatches } from './docker-json.js';
export { pullMessages, pushMessages, errorMessage, progressBar, type JSONMessage } from './docker-progress.js';
export { inspect, type ImageInspect, type LayerInfo } from './inspect.js';
export * from '../oci/image/types.js';
export { login, logout, loginDomain, checkLogin } from './login.js';
export { imageHistory, type HistoryRow } from './history.js';
