/**
 * From values that passed the schema to a GossipConfig: defaults (constants.ts), units
 * (seconds → ms), paths relative to the config file, and the checks that span two keys or
 * need the file system (hostkey, peers_file). Throws one ConfigError per problem.
 */
import { statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { GossipConfig } from './config.js';
import type { GossipKey } from './config-schema.js';
import { configFail, type SectionValues } from './config-values.js';
import * as defaults from './constants.js';
import { ConfigError } from './errors.js';
import { formatHostPort, parseHostPort, type HostPort } from './host-port.js';
import { readHostKeyFile } from './hostkey.js';

/** Where a config came from, for messages: its path, or the built-in config. */
const BUILT_IN = '(built-in config)';

/**
 * Apply defaults and units to checked values. `hostkeyPath` (absolute, or null) is needed
 * first: the default peers_file lives beside it.
 */
export function buildConfig(
  path: string | null,
  values: SectionValues,
  hostkeyPath: string | null = null,
): GossipConfig {
  const where = path ?? BUILT_IN;
  const number = (key: GossipKey, fallback: number): number =>
    typeof values[key] === 'number' ? values[key] : fallback;
  const address = (key: GossipKey, listen = true): HostPort | null => {
    const text = values[key];
    if (typeof text !== 'string') return null;
    const parsed = parseHostPort(text, listen);
    if (!parsed.ok) throw configFail(where, key, 'bad-address', parsed.reason);
    return parsed.value;
  };
  // Seconds → ms; a positive value never rounds down to 0 ms (which would mean "off" or "at once").
  const seconds = (key: GossipKey, fallback: number): number => {
    const value = number(key, fallback);
    return value > 0 ? Math.max(1, Math.round(value * 1000)) : 0;
  };
  const degree = number('degree', defaults.DEFAULT_DEGREE_PEERS);
  const config: GossipConfig = {
    configPath: path === null ? null : resolve(path),
    hostkeyPath,
    cacheSize: number('cache_size', defaults.DEFAULT_CACHE_SIZE_ITEMS),
    degree,
    maxPeers: number('max_peers', defaults.DEFAULT_MAX_PEERS_PER_DEGREE * degree),
    bootstrapper: address('bootstrapper', false),
    p2pAddress: address('p2p_address') as HostPort,
    apiAddress: address('api_address') as HostPort,
    powDifficulty: number('pow_difficulty', defaults.DEFAULT_POW_DIFFICULTY_BITS),
    validationTimeoutMs: seconds('validation_timeout', defaults.DEFAULT_VALIDATION_TIMEOUT_S),
    verificationTimeoutMs: seconds('verification_timeout', defaults.DEFAULT_VERIFICATION_TIMEOUT_S),
    handshakeTimeoutMs: seconds('handshake_timeout', defaults.DEFAULT_HANDSHAKE_TIMEOUT_S),
    rejoinIntervalMs: seconds('rejoin_interval', defaults.DEFAULT_REJOIN_INTERVAL_S),
    subnetCapV4: number('subnet_cap_v4', defaults.DEFAULT_SUBNET_CAP_V4_PEERS),
    subnetCapV6: number('subnet_cap_v6', defaults.DEFAULT_SUBNET_CAP_V6_PEERS),
    subnetCapExemptLoopback:
      typeof values.subnet_cap_exempt_loopback === 'boolean'
        ? values.subnet_cap_exempt_loopback
        : defaults.DEFAULT_SUBNET_CAP_EXEMPT_LOOPBACK,
    maxHandshakesPerAddress: number('max_handshakes_per_address', defaults.DEFAULT_MAX_HANDSHAKES_PER_ADDRESS),
    maxHandshakesPerSubnet: number('max_handshakes_per_subnet', defaults.DEFAULT_MAX_HANDSHAKES_PER_SUBNET),
    seenSetSize: number('seen_set_size', defaults.DEFAULT_SEEN_SET_SIZE_ITEMS),
    peerRequestLimit: number('peer_request_limit', defaults.DEFAULT_PEER_REQUEST_LIMIT),
    peerRequestIntervalMs: seconds('peer_request_interval', defaults.DEFAULT_PEER_REQUEST_INTERVAL_S),
    peersFile: peersFile(path, values.peers_file, hostkeyPath),
    knowledgeBaseBytes: number('knowledge_base_bytes', defaults.DEFAULT_KNOWLEDGE_BASE_BYTES),
    receiveQueueBytes: number('receive_queue_bytes', defaults.DEFAULT_RECEIVE_QUEUE_BYTES),
    apiSendQueueBytes: number('api_send_queue_bytes', defaults.DEFAULT_API_SEND_QUEUE_BYTES),
    p2pSendQueueBytes: number('p2p_send_queue_bytes', defaults.DEFAULT_P2P_SEND_QUEUE_BYTES),
    sendStallTimeoutMs: seconds('send_stall_timeout', defaults.DEFAULT_SEND_STALL_TIMEOUT_S),
    dissemination:
      values.dissemination === 'tree' || values.dissemination === 'flood'
        ? values.dissemination
        : defaults.DEFAULT_DISSEMINATION,
    graftTimeoutMs: seconds('graft_timeout', defaults.DEFAULT_GRAFT_TIMEOUT_S),
    lazyPushDelayMs: seconds('lazy_push_delay', defaults.DEFAULT_LAZY_PUSH_DELAY_S),
    logLevel: typeof values.log_level === 'string' ? values.log_level : defaults.DEFAULT_LOG_LEVEL,
    metricsAddress: address('metrics_address'),
  };
  checkRelations(where, config);
  return config;
}

/**
 * `peers_file`: a path relative to the config file; empty = off; absent = known-peers.json
 * beside the hostkey when there is one, else off.
 */
function peersFile(path: string | null, value: unknown, hostkeyPath: string | null): string | null {
  if (value === '') return null;
  if (typeof value === 'string') return resolve(path === null ? '.' : dirname(path), value);
  return hostkeyPath === null ? null : join(dirname(hostkeyPath), defaults.DEFAULT_PEERS_FILE_NAME);
}

function checkRelations(path: string, config: GossipConfig): void {
  if (config.maxPeers <= config.degree) {
    // Inbound slots are max_peers - degree: with none, no newcomer could ever join this node.
    throw configFail(
      path,
      'max_peers',
      'out-of-range',
      `must be greater than degree (${config.degree}) so that inbound slots (max_peers - degree) are at least 1, got ${config.maxPeers}`,
    );
  }
  if (config.seenSetSize < config.cacheSize) {
    // A cached item whose id left the seen-set would be accepted again as new (docs/protocol.md §4.4).
    throw configFail(
      path,
      'seen_set_size',
      'out-of-range',
      `must be at least cache_size (${config.cacheSize}), got ${config.seenSetSize}`,
    );
  }
  const listeners: Array<[GossipKey, HostPort | null]> = [
    ['p2p_address', config.p2pAddress],
    ['api_address', config.apiAddress],
    ['metrics_address', config.metricsAddress],
  ];
  const taken = new Map<string, GossipKey>();
  for (const [key, address] of listeners) {
    if (address === null || address.port === 0) continue; // port 0: the kernel picks a different free port each time
    const id = formatHostPort(address).toLowerCase();
    const other = taken.get(id);
    if (other !== undefined)
      throw configFail(path, key, 'bad-address', `${formatHostPort(address)} is already used by ${other}`);
    taken.set(id, key);
  }
  checkPeersFile(path, config);
}

/** The daemon rewrites peers_file: it must not be the hostkey or the config, nor a non-file. */
function checkPeersFile(path: string, config: GossipConfig): void {
  const file = config.peersFile;
  if (file === null) return;
  if (file === config.hostkeyPath) throw configFail(path, 'peers_file', 'bad-value', `${file} is the hostkey file`);
  if (file === config.configPath) throw configFail(path, 'peers_file', 'bad-value', `${file} is the config file`);
  let stats: Stats | undefined;
  try {
    stats = statSync(file, { throwIfNoEntry: false });
  } catch {
    return; // e.g. a parent that is not a directory: the daemon reports it when it writes
  }
  if (stats !== undefined && !stats.isFile()) {
    throw configFail(
      path,
      'peers_file',
      'bad-value',
      `${file} is ${stats.isDirectory() ? 'a directory' : 'not a regular file'}`,
    );
  }
}

/** The hostkey must be a readable RSA private key PEM (bounded read); small keys only warn. */
export function checkHostkey(path: string, hostkeyPath: string): string[] {
  const problem = (text: string): ConfigError => new ConfigError('bad-hostkey', 'hostkey', `${path}: hostkey: ${text}`);
  const parsed = readHostKeyFile(hostkeyPath);
  if (!parsed.ok) throw problem(parsed.reason);
  const { bits } = parsed.key;
  if (bits < defaults.HOSTKEY_MIN_BITS) {
    throw problem(
      `${hostkeyPath}: RSA key of ${bits} bits is too small (at least ${defaults.HOSTKEY_MIN_BITS}, ${defaults.HOSTKEY_EXPECTED_BITS} expected)`,
    );
  }
  if (bits < defaults.HOSTKEY_EXPECTED_BITS) {
    return [
      `${path}: hostkey: ${hostkeyPath} is a ${bits}-bit RSA key, ${defaults.HOSTKEY_EXPECTED_BITS} bits expected`,
    ];
  }
  return [];
}
