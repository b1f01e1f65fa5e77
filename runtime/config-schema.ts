/**
 * JSON Schema of the config file after INI parsing and number/boolean coercion
 * (docs/protocol.md §5). Ranges live here; defaults live in constants.ts; config.ts applies both.
 * `format: 'host-port'` and `format: 'listen-address'` (port 0 allowed: any free port) are
 * registered by config-values.ts (see host-port.ts for the syntax).
 * Keys not listed are allowed: they belong to other VoidPhone modules or versions and are
 * ignored (unknown keys inside [gossip] are reported as warnings by config.ts).
 */
import {
  CONFIG_SECTION,
  DISSEMINATION_MODES,
  LOG_LEVELS,
  MAX_BYTE_BUDGET,
  MAX_HANDSHAKES_CAP,
  MAX_PEER_REQUEST_LIMIT,
  MAX_POW_DIFFICULTY_BITS,
  MIN_BYTE_BUDGET,
} from './constants.js';

/** Longest duration setting accepted, in seconds (one day). */
const MAX_DURATION_S = 86_400;

/** A duration in seconds that must be positive (decimals allowed; used in ms). */
const POSITIVE_SECONDS = { type: 'number', exclusiveMinimum: 0, maximum: MAX_DURATION_S } as const;

/** A byte budget: a plain integer number of bytes, at least one largest frame. */
const BYTES = { type: 'integer', minimum: MIN_BYTE_BUDGET, maximum: MAX_BYTE_BUDGET } as const;

/** Keys of the [gossip] section that a config file must give (the seed's keys). */
export const REQUIRED_GOSSIP_KEYS = ['cache_size', 'degree', 'p2p_address', 'api_address'] as const;

/** Schema of the [gossip] section. */
export const GOSSIP_SECTION_SCHEMA = {
  type: 'object',
  required: [...REQUIRED_GOSSIP_KEYS],
  properties: {
    cache_size: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'items kept in the knowledge base' },
    degree: { type: 'integer', minimum: 1, maximum: 1_000, description: 'active links a node dials until it holds' },
    max_peers: { type: 'integer', minimum: 2, maximum: 10_000, description: 'verified links held in total, > degree' },
    bootstrapper: { type: 'string', format: 'host-port', description: 'first peer to dial' },
    p2p_address: { type: 'string', format: 'listen-address', description: 'P2P listen address' },
    api_address: { type: 'string', format: 'listen-address', description: 'API listen address' },
    pow_difficulty: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_POW_DIFFICULTY_BITS,
      description: 'proof-of-work bits',
    },
    validation_timeout: { ...POSITIVE_SECONDS, description: 'seconds' },
    verification_timeout: { ...POSITIVE_SECONDS, description: 'seconds' },
    handshake_timeout: {
      ...POSITIVE_SECONDS,
      description: 'seconds for HELLO and VERIFICATION REQUEST of an inbound link',
    },
    rejoin_interval: { type: 'number', minimum: 0, maximum: MAX_DURATION_S, description: 'seconds, 0 = off' },
    subnet_cap_v4: { type: 'integer', minimum: 1, maximum: 65_535, description: 'known peers per IPv4 /24' },
    subnet_cap_v6: { type: 'integer', minimum: 1, maximum: 65_535, description: 'known peers per IPv6 /48' },
    subnet_cap_exempt_loopback: { type: 'boolean', description: 'loopback peers ignore the subnet caps' },
    max_handshakes_per_address: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_HANDSHAKES_CAP,
      description: 'inbound handshakes in progress per IP address',
    },
    max_handshakes_per_subnet: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_HANDSHAKES_CAP,
      description: 'inbound handshakes in progress per /24 or /48',
    },
    seen_set_size: { type: 'integer', minimum: 1, maximum: 10_000_000, description: 'item ids remembered' },
    peer_request_limit: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_PEER_REQUEST_LIMIT,
      description: 'addresses per PEER REQUEST',
    },
    peer_request_interval: { ...POSITIVE_SECONDS, description: 'seconds between PEER REQUESTs on one link' },
    peers_file: {
      type: 'string',
      description: 'known peers kept across restarts, relative to the config file; empty = off',
    },
    knowledge_base_bytes: { ...BYTES, description: 'bytes held by the knowledge base' },
    receive_queue_bytes: { ...BYTES, description: 'bytes held by each server receive queue' },
    api_send_queue_bytes: { ...BYTES, description: 'bytes queued toward each API connection' },
    p2p_send_queue_bytes: { ...BYTES, description: 'bytes queued toward each P2P link' },
    send_stall_timeout: { ...POSITIVE_SECONDS, description: 'seconds a send queue may stay full before disconnecting' },
    dissemination: {
      type: 'string',
      enum: [...DISSEMINATION_MODES],
      description: 'how ttl-0 items spread: broadcast tree or flooding',
    },
    graft_timeout: { ...POSITIVE_SECONDS, description: 'seconds a missing item waits before it is pulled' },
    lazy_push_delay: { ...POSITIVE_SECONDS, description: 'seconds ids wait to share one IHAVE' },
    log_level: { type: 'string', enum: [...LOG_LEVELS], description: 'pino log level' },
    metrics_address: { type: 'string', format: 'listen-address', description: 'Prometheus /metrics listen address' },
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
