/**
 * JSON Schema of the config file after INI parsing and number/boolean coercion
 * (PROTOCOL.md §5). Ranges live here; defaults live in constants.ts; config.ts applies both.
 * `format: 'host-port'` is registered by config.ts (see host-port.ts for the syntax).
 * Keys not listed are allowed: they belong to other VoidPhone modules or versions and are
 * ignored (unknown keys inside [gossip] are reported as warnings by config.ts).
 */
import { CONFIG_SECTION, LOG_LEVELS, MAX_PEER_REQUEST_LIMIT, MAX_POW_DIFFICULTY_BITS } from './constants.js';

/** Longest duration setting accepted, in seconds (one day). */
const MAX_DURATION_S = 86_400;

/** Keys of the [gossip] section that a config file must give (the seed's keys). */
export const REQUIRED_GOSSIP_KEYS = ['cache_size', 'degree', 'p2p_address', 'api_address'] as const;

/** Schema of the [gossip] section. */
export const GOSSIP_SECTION_SCHEMA = {
  type: 'object',
  required: [...REQUIRED_GOSSIP_KEYS],
  properties: {
    cache_size: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'items kept in the knowledge base' },
    degree: { type: 'integer', minimum: 1, maximum: 1_000, description: 'active links a node dials until it holds' },
    max_peers: { type: 'integer', minimum: 1, maximum: 10_000, description: 'verified links held in total' },
    bootstrapper: { type: 'string', format: 'host-port', description: 'first peer to dial' },
    p2p_address: { type: 'string', format: 'host-port', description: 'P2P listen address' },
    api_address: { type: 'string', format: 'host-port', description: 'API listen address' },
    pow_difficulty: { type: 'integer', minimum: 0, maximum: MAX_POW_DIFFICULTY_BITS, description: 'proof-of-work bits' },
    validation_timeout: { type: 'number', exclusiveMinimum: 0, maximum: MAX_DURATION_S, description: 'seconds' },
    verification_timeout: { type: 'number', exclusiveMinimum: 0, maximum: MAX_DURATION_S, description: 'seconds' },
    rejoin_interval: { type: 'number', minimum: 0, maximum: MAX_DURATION_S, description: 'seconds, 0 = off' },
    subnet_cap_v4: { type: 'integer', minimum: 1, maximum: 65_535, description: 'known peers per IPv4 /24' },
    subnet_cap_v6: { type: 'integer', minimum: 1, maximum: 65_535, description: 'known peers per IPv6 /48' },
    subnet_cap_exempt_loopback: { type: 'boolean', description: 'loopback peers ignore the subnet caps' },
    seen_set_size: { type: 'integer', minimum: 1, maximum: 10_000_000, description: 'item ids remembered' },
    peer_request_limit: { type: 'integer', minimum: 1, maximum: MAX_PEER_REQUEST_LIMIT, description: 'addresses per PEER REQUEST' },
    log_level: { type: 'string', enum: [...LOG_LEVELS], description: 'pino log level' },
    metrics_address: { type: 'string', format: 'host-port', description: 'Prometheus /metrics listen address' },
  },
  additionalProperties: true,
} as const;

/** Schema of the whole file: the top-level `hostkey` and the [gossip] section. */
export const CONFIG_FILE_SCHEMA = {
  type: 'object',
  required: [CONFIG_SECTION],
  properties: {
    hostkey: { type: 'string', description: 'path of the RSA private key PEM, relative to the config file' },
    [CONFIG_SECTION]: GOSSIP_SECTION_SCHEMA,
  },
  additionalProperties: true,
} as const;

/** Names of the keys this module reads inside [gossip]. */
export type GossipKey = keyof typeof GOSSIP_SECTION_SCHEMA.properties;
export const GOSSIP_KEYS = Object.keys(GOSSIP_SECTION_SCHEMA.properties) as GossipKey[];
