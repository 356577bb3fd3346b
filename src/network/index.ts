// Container networking through CNI plugins: networks (conflists), attach/detach of a container's
// network namespace, and the /etc/hosts, /etc/resolv.conf, /etc/hostname contents. See README.md.
export {
  CniExecutor,
  CniError,
  CNI_ERROR_CODES,
  DEFAULT_PLUGIN_DIRS,
  SUPPORTED_CNI_VERSIONS,
  loadConfList,
  parseConfList,
  validateConfList,
  parseResult,
  errorFromOutput,
  pluginStdin,
  pluginEnv,
  type ConfList,
  type PluginConf,
  type CniResult,
  type CniInterface,
  type CniIPConfig,
  type CniRoute,
  type CniDNS,
  type RuntimeConf,
  type ExecutorOptions,
} from './cni.js';
export {
  NetworkStore,
  createNetwork,
  listNetworks,
  inspectNetwork,
  removeNetwork,
  buildConfList,
  describeConfList,
  validateNetworkName,
  validateIfName,
  readHostRoutes,
  DEFAULT_CONFIG_DIR,
  DEFAULT_IPAM_DIR,
  DEFAULT_NETWORK,
  DEFAULT_BRIDGE,
  DEFAULT_SUBNET,
  DEFAULT_POOL,
  RESERVED_NAMES,
  type NetworkInfo,
  type NetworkStoreOptions,
  type NetworkUser,
} from './networks.js';
export {
  attach,
  attachAnother,
  detach,
  cleanupStale,
  readRecord,
  resolveNetworks,
  validatePortMappings,
  summarize,
  type Attachment,
  type AttachOptions,
  type AttachRecord,
  type PortMapping,
} from './attach.js';
export {
  hostsFile,
  resolvConf,
  parseResolvConf,
  hostResolvConf,
  hostnameFile,
  validateHostname,
  writeNetworkFiles,
  isLoopbackNameserver,
  type HostsOptions,
  type HostEntry,
  type ResolvConf,
} from './files.js';
export { deleteBridge, bridgeExists, bridgePorts } from './bridge.js';
export { masqChainName, removeMasqRules } from './masq.js';
export { checkHostPort, portHolder } from './driver/ports.js';
export { HostIpam, DEFAULT_RUN_DIR, type NetworkPlanFile, type Lease, type PortOwner } from './driver/ipam.js';
export { connect, disconnect, hostIfName, useRootlessNetns, type BridgeConnection, type BridgeNetwork } from './driver/bridge.js';
export {
  startUserModeNet,
  stopUserModeNet,
  chooseTool,
  checkUserModePorts,
  findTool,
  USER_MODE_TOOLS,
  SLIRP_DNS,
  type UserModeNet,
  type UserModePort,
  type UserModeTarget,
  type UserModeTool,
} from './driver/usermode.js';
export { startSlirp, slirpForward, slirpUnforward } from './driver/slirp.js';
