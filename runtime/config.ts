/**
 * Loads the daemon's configuration (docs/protocol.md §5): a Windows INI file shared with other
 * VoidPhone modules. Only the top-level `hostkey` and the [gossip] section are read; other
 * sections are ignored, and unknown keys inside [gossip] are returned as warnings (other
 * versions may add keys). Every problem throws one ConfigError whose message is ONE line
 * `<file>: <key>: <problem>`; the CLI prints it and exits 2.
 */
import { dirname, resolve } from 'node:path';
import { buildConfig, checkHostkey } from './config-build.js';
import { parseConfigFile, unknownKeysWarnings } from './config-ini.js';
import { coerceSection, validateValues } from './config-values.js';
import * as defaults from './constants.js';
import { formatHostPort, type HostPort } from './host-port.js';

export type { HostPort } from './host-port.js';

/** The validated configuration; durations in ms, addresses parsed (docs/CONTRACTS.md). */
export interface GossipConfig {
  configPath: string | null;
  /** Absolute path of the hostkey PEM, or null when the file names none. */
  hostkeyPath: string | null;
  cacheSize: number;
  degree: number;
  maxPeers: number;
  /** null: this node is the first of its network. */
  bootstrapper: HostPort | null;
  p2pAddress: HostPort;
  apiAddress: HostPort;
  powDifficulty: number;
  validationTimeoutMs: number;
  verificationTimeoutMs: number;
  /** An inbound link must send HELLO and its VERIFICATION REQUEST within this. */
  handshakeTimeoutMs: number;
  /** 0 = re-joining is off. */
  rejoinIntervalMs: number;
  subnetCapV4: number;
  subnetCapV6: number;
  subnetCapExemptLoopback: boolean;
  /** Inbound handshakes in progress allowed per source IP address. */
  maxHandshakesPerAddress: number;
  /** Inbound handshakes in progress allowed per IPv4 /24 or IPv6 /48. */
  maxHandshakesPerSubnet: number;
  seenSetSize: number;
  peerRequestLimit: number;
  /** At most one PEER REQUEST sent and answered per link per interval. */
  peerRequestIntervalMs: number;
  /** Absolute path of the known-peers file kept across restarts, or null (off). */
  peersFile: string | null;
  /** Byte budgets: knowledge base, each server's receive queue, each API / P2P send queue. */
  knowledgeBaseBytes: number;
  receiveQueueBytes: number;
  apiSendQueueBytes: number;
  p2pSendQueueBytes: number;
  /** A connection whose send queue stays full this long is closed. */
  sendStallTimeoutMs: number;
  /** How ttl-0 items spread (docs/protocol.md §4.8): over a broadcast tree, or flooded. */
  dissemination: 'tree' | 'flood';
  /** A missing item's id waits this long after its IHAVE before a GRAFT pulls it (§4.8). */
  graftTimeoutMs: number;
  /** Ids for a lazy link wait this long to share one IHAVE (§4.8). */
  lazyPushDelayMs: number;
  logLevel: string;
  metricsAddress: HostPort | null;
}

/** A configuration plus the one-line warnings worth logging (unknown keys, a small hostkey). */
export interface LoadedConfig {
  config: GossipConfig;
  warnings: string[];
}

/** Load and validate `path`; null gives the built-in defaults. Throws ConfigError. */
export function loadConfig(path: string | null): GossipConfig {
  return readConfig(path).config;
}

/** As loadConfig, and also returns the warnings (the CLI logs them). */
export function readConfig(path: string | null): LoadedConfig {
  if (path === null) return { config: defaultConfig(), warnings: [] };
  const { root, section } = parseConfigFile(path);
  const values = coerceSection(section);
  const hostkey = typeof root.hostkey === 'string' && root.hostkey.trim() !== '' ? root.hostkey.trim() : undefined;
  validateValues(path, hostkey, values);
  const hostkeyPath = hostkey === undefined ? null : resolve(dirname(path), hostkey);
  const config = buildConfig(path, values, hostkeyPath);
  const warnings = unknownKeysWarnings(path, section);
  if (hostkeyPath !== null) warnings.push(...checkHostkey(path, hostkeyPath));
  return { config, warnings };
}

/** The built-in config of `gossip daemon` without `-c`: loopback only, first node. */
export function defaultConfig(): GossipConfig {
  return buildConfig(null, {
    cache_size: defaults.DEFAULT_CACHE_SIZE_ITEMS,
    degree: defaults.DEFAULT_DEGREE_PEERS,
    p2p_address: defaults.DEFAULT_P2P_ADDRESS,
    api_address: defaults.DEFAULT_API_ADDRESS,
  });
}

/** A config as INI text (for `--check-config` output and tests); an empty value means off/none. */
export function describeConfig(config: GossipConfig): string {
  const address = (value: HostPort | null): string => (value === null ? '' : formatHostPort(value));
  return [
    `hostkey = ${config.hostkeyPath ?? ''}`,
    '[gossip]',
    `cache_size = ${config.cacheSize}`,
    `degree = ${config.degree}`,
    `max_peers = ${config.maxPeers}`,
    `bootstrapper = ${address(config.bootstrapper)}`,
    `p2p_address = ${address(config.p2pAddress)}`,
    `api_address = ${address(config.apiAddress)}`,
    `pow_difficulty = ${config.powDifficulty}`,
    `validation_timeout = ${config.validationTimeoutMs / 1000}`,
    `verification_timeout = ${config.verificationTimeoutMs / 1000}`,
    `handshake_timeout = ${config.handshakeTimeoutMs / 1000}`,
    `rejoin_interval = ${config.rejoinIntervalMs / 1000}`,
    `subnet_cap_v4 = ${config.subnetCapV4}`,
    `subnet_cap_v6 = ${config.subnetCapV6}`,
    `subnet_cap_exempt_loopback = ${config.subnetCapExemptLoopback}`,
    `max_handshakes_per_address = ${config.maxHandshakesPerAddress}`,
    `max_handshakes_per_subnet = ${config.maxHandshakesPerSubnet}`,
    `seen_set_size = ${config.seenSetSize}`,
    `peer_request_limit = ${config.peerRequestLimit}`,
    `peer_request_interval = ${config.peerRequestIntervalMs / 1000}`,
    `peers_file = ${config.peersFile ?? ''}`,
    `knowledge_base_bytes = ${config.knowledgeBaseBytes}`,
    `receive_queue_bytes = ${config.receiveQueueBytes}`,
    `api_send_queue_bytes = ${config.apiSendQueueBytes}`,
    `p2p_send_queue_bytes = ${config.p2pSendQueueBytes}`,
    `send_stall_timeout = ${config.sendStallTimeoutMs / 1000}`,
    `dissemination = ${config.dissemination}`,
    `graft_timeout = ${config.graftTimeoutMs / 1000}`,
    `lazy_push_delay = ${config.lazyPushDelayMs / 1000}`,
    `log_level = ${config.logLevel}`,
    `metrics_address = ${address(config.metricsAddress)}`,
  ].join('\n');
}
