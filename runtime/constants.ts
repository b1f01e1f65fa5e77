/**
 * Defaults of every configuration key (PROTOCOL.md §5), in one place so that config.ts,
 * the JSON Schema, docs/configuration.md and the tests agree. Units are in the names.
 * A file must still give the seed's keys (cache_size, degree, p2p_address, api_address);
 * these defaults fill the built-in config (`gossip daemon` without `-c`) and the project's
 * own optional keys.
 */

/** Built-in API listen address: loopback only, so a fresh machine exposes nothing. */
export const DEFAULT_API_ADDRESS = '127.0.0.1:7001';

/** Built-in P2P listen address: loopback only; a real node sets its public address. */
export const DEFAULT_P2P_ADDRESS = '127.0.0.1:6001';

/** Items kept in the knowledge base, oldest evicted first (the seed's example value). */
export const DEFAULT_CACHE_SIZE_ITEMS = 50;

/**
 * Active links a node dials until it holds (PROTOCOL.md §4.2 step 5). 8 keeps a flooding
 * overlay connected with a small diameter while bounding the copies of each item (§4.4).
 */
export const DEFAULT_DEGREE_PEERS = 8;

/** Inbound verified links accepted, as a multiple of `degree` (PROTOCOL.md §4.2 step 5). */
export const DEFAULT_MAX_PEERS_PER_DEGREE = 2;

/** Leading zero bits of a proof of work (PROTOCOL.md §4.1; the seed's value). */
export const DEFAULT_POW_DIFFICULTY_BITS = 24;

/** Hardest difficulty the 64-bit SHA-256 prefix can express. */
export const MAX_POW_DIFFICULTY_BITS = 64;

/**
 * How long an item waits for the local modules' VALIDATION before it is dropped
 * (PROTOCOL.md §6, "no validation timeout"). Validators are local processes: 5 s is slack.
 */
export const DEFAULT_VALIDATION_TIMEOUT_S = 5;

/**
 * How long a peer may take to answer a VERIFICATION or PEER REQUEST with a proof
 * (PROTOCOL.md §4.1). A 24-bit proof needs 2^24 ≈ 16.8 M hashes on average; at 1 M hashes/s
 * on one slow core that is 17 s, and the chance of needing more than 60 s is e^(-60/16.8) ≈ 3 %.
 */
export const DEFAULT_VERIFICATION_TIMEOUT_S = 60;

/** Eclipse defence: re-join through the bootstrapper this often (PROTOCOL.md §4.3); 0 = off. */
export const DEFAULT_REJOIN_INTERVAL_S = 300;

/** Known peers allowed per IPv4 /24 (PROTOCOL.md §4.3 eclipse defence). */
export const DEFAULT_SUBNET_CAP_V4_PEERS = 4;

/** Known peers allowed per IPv6 /48 (PROTOCOL.md §4.3 eclipse defence). */
export const DEFAULT_SUBNET_CAP_V6_PEERS = 4;

/** Loopback peers are exempt from the subnet caps so that a local test network forms (§4.3). */
export const DEFAULT_SUBNET_CAP_EXEMPT_LOOPBACK = true;

/**
 * Item ids remembered to drop duplicates (PROTOCOL.md §4.4). Sized apart from cache_size: it
 * must outlive an item's circulation. 100 000 ids of 8 bytes cost a few MB at most.
 */
export const DEFAULT_SEEN_SET_SIZE_ITEMS = 100_000;

/** Addresses asked for and given per PEER REQUEST (`limit`, a u8: PROTOCOL.md §4). */
export const DEFAULT_PEER_REQUEST_LIMIT = 32;

/** Largest value the PEER REQUEST `limit` field (u8) can carry. */
export const MAX_PEER_REQUEST_LIMIT = 255;

/** pino level of the daemon's logs. */
export const DEFAULT_LOG_LEVEL = 'info';

/** Levels accepted for `log_level` (pino's, plus `silent`). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Hostkey size PROTOCOL.md §5 asks for; smaller RSA keys are accepted with a warning. */
export const HOSTKEY_EXPECTED_BITS = 4096;

/** Smallest RSA hostkey accepted at all: below this the identity is not worth the name. */
export const HOSTKEY_MIN_BITS = 2048;

/** Name of the INI section this module reads (PROTOCOL.md §5). */
export const CONFIG_SECTION = 'gossip';
