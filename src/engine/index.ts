// The hako engine: docker-compatible container lifecycle over the OCI runtime, images and conmon.
export { Engine, INIT_BINARY, type ExecRequest, type EngineOutput } from './engine.js';
export { ContainerStore, engineRoot, resolveContainer, newId, DEFAULT_ENGINE_ROOT } from './store.js';
export {
  parseRunArgs,
  parseBytes,
  parsePublish,
  parseVolume,
  parseMount,
  parseTmpfs,
  parseUlimit,
  parseDevice,
  parseRestart,
  parseEnv,
  readEnvFile,
  normalizeCap,
  splitAtPositional,
  parseFlags,
  RUN_FLAGS,
} from './flags.js';
export { resolveUser, readFileInRoot } from './user.js';
export {
  buildSpec,
  combineCommand,
  mergeEnv,
  capabilitySet,
  loadSeccompFile,
  DEFAULT_DEVICE_RULES,
  type SpecInput,
  type ImageProcessDefaults,
} from './spec.js';
export { prepareRootfs, releaseRootfs } from './rootfs.js';
export {
  planNetwork,
  networkFiles,
  networkSettings,
  exposedMappings,
  networkStoreFor,
  netnsDirFor,
  netnsCreate,
  netnsDelete,
  ContainerNetworks,
  DEFAULT_NETWORK,
  DEFAULT_NETNS_DIR,
  PUBLISH_ALL_HOST_IP,
  type NetworkPlan,
  type NetworkState,
  type NetworkContext,
  type PeerLookup,
} from './network.js';
export { parseLogLine, parseLog, tailEntries, streamSink, type LogEntry, type LogSink } from './logs.js';
export { renderTemplate, table, humanDuration, humanSize } from './format.js';
export { psRow, statusText } from './ps-rows.js';
export { startConmon, findBin } from './monitor.js';
export {
  attachContainer,
  resizeAttachedTty,
  parseDetachKeys,
  DetachKeyScanner,
  FrameReader,
  type AttachIo,
  type AttachOptions,
  type AttachResult,
} from './attach.js';
export type * from './types.js';
