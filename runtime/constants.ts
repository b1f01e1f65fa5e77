/**
 * Defaults of every configuration key (docs/protocol.md §5), in one place so that config.ts,
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
 * Active links a node dials until it holds (docs/protocol.md §4.2 step 5). 8 keeps a flooding
 * overlay connected with a small diameter while bounding the copies of each item (§4.4).
 */
export const DEFAULT_DEGREE_PEERS = 8;

/**
 * Verified links held in all, as a multiple of `degree` (docs/protocol.md §4.2 item 5, §4.6):
 * 3 leaves every node `degree` spare inbound slots, the slack that lets newcomers and
 * rotations in while an attacker occupies some node's door.
 */
export const DEFAULT_MAX_PEERS_PER_DEGREE = 3;

/** Leading zero bits of a proof of work (docs/protocol.md §4.1; the seed's value). */
export const DEFAULT_POW_DIFFICULTY_BITS = 24;

/** Hardest difficulty the 64-bit SHA-256 prefix can express. */
export const MAX_POW_DIFFICULTY_BITS = 64;

/**
 * How long an item waits for the local modules' VALIDATION before it is dropped
 * (docs/protocol.md §6, "no validation timeout"). Validators are local processes: 5 s is slack.
 */
export const DEFAULT_VALIDATION_TIMEOUT_S = 5;

/**
 * How long a peer may take to answer a VERIFICATION or PEER REQUEST with a proof
 * (docs/protocol.md §4.1). A 24-bit proof needs 2^24 ≈ 16.8 M hashes on average; at 1 M hashes/s
 * on one slow core that is 17 s, and the chance of needing more than 60 s is e^(-60/16.8) ≈ 3 %.
 */
export const DEFAULT_VERIFICATION_TIMEOUT_S = 60;

/** Eclipse defence: re-join through the bootstrapper this often (docs/protocol.md §4.3); 0 = off. */
export const DEFAULT_REJOIN_INTERVAL_S = 300;

/** Known peers allowed per IPv4 /24 (docs/protocol.md §4.3 eclipse defence). */
export const DEFAULT_SUBNET_CAP_V4_PEERS = 4;

/** Known peers allowed per IPv6 /48 (docs/protocol.md §4.3 eclipse defence). */
export const DEFAULT_SUBNET_CAP_V6_PEERS = 4;

/** Loopback peers are exempt from the subnet caps so that a local test network forms (§4.3). */
export const DEFAULT_SUBNET_CAP_EXEMPT_LOOPBACK = true;

/**
 * Item ids remembered to drop duplicates (docs/protocol.md §4.4). Sized apart from cache_size: it
 * must outlive an item's circulation. 100 000 ids of 8 bytes cost a few MB at most.
 */
export const DEFAULT_SEEN_SET_SIZE_ITEMS = 100_000;

/** Addresses asked for and given per PEER REQUEST (`limit`, a u8: docs/protocol.md §4). */
export const DEFAULT_PEER_REQUEST_LIMIT = 32;

/** Largest value the PEER REQUEST `limit` field (u8) can carry. */
export const MAX_PEER_REQUEST_LIMIT = 255;

/**
 * How long an inbound connection has to send HELLO and its VERIFICATION REQUEST before it is
 * closed (docs/protocol.md, handshake deadlines). Both are sent at once by an honest dialer.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_S = 5;

/** Handshakes in progress (inbound, not yet active) allowed per source IP address. */
export const DEFAULT_MAX_HANDSHAKES_PER_ADDRESS = 2;

/** Handshakes in progress allowed per IPv4 /24 or IPv6 /48 (loopback exempt with subnet_cap_exempt_loopback). */
export const DEFAULT_MAX_HANDSHAKES_PER_SUBNET = 8;

/** Largest per-address or per-subnet handshake cap accepted. */
export const MAX_HANDSHAKES_CAP = 10_000;

/**
 * A node sends, and answers, at most one PEER REQUEST per link per interval; a request sooner
 * than 0.9 x interval closes the link. Nodes of one network must use the same value.
 */
export const DEFAULT_PEER_REQUEST_INTERVAL_S = 60;

/** File name of the known-peers list, kept beside the hostkey when `peers_file` is not given. */
export const DEFAULT_PEERS_FILE_NAME = 'known-peers.json';

/**
 * Byte budgets below: chosen so that their sum, with the defaults, fits the 300 MB a daemon
 * is meant to stay under (docs/memory.md, "The sum").
 */

/** Byte budget of the knowledge base (item data plus bookkeeping), on top of cache_size. */
export const DEFAULT_KNOWLEDGE_BASE_BYTES = 32 * 1024 * 1024;

/** Byte budget of each server's receive queue (frames read but not yet handled). */
export const DEFAULT_RECEIVE_QUEUE_BYTES = 8 * 1024 * 1024;

/** Byte budget of the send queue of each API connection. */
export const DEFAULT_API_SEND_QUEUE_BYTES = 8 * 1024 * 1024;

/**
 * Byte budget of the send queue of each P2P link. 1 MiB: the flow gate keeps a healthy link
 * under 256 KiB, and 16 links (the default `max_peers`) at 4 MiB were a fifth of the budget.
 */
export const DEFAULT_P2P_SEND_QUEUE_BYTES = 1024 * 1024;

/** A peer or client whose send queue stays full this long is disconnected (and counted). */
export const DEFAULT_SEND_STALL_TIMEOUT_S = 10;

/**
 * How ttl-0 items spread (docs/protocol.md §4.8): `flood` pushes every item on every link;
 * `tree` pushes over a broadcast tree and announces ids on the other links. `flood` stays the
 * default until bench:net shows the tree meeting its targets.
 */
export const DISSEMINATION_MODES = ['tree', 'flood'] as const;
export type DisseminationMode = (typeof DISSEMINATION_MODES)[number];
export const DEFAULT_DISSEMINATION: DisseminationMode = 'flood';

/**
 * How long a missing item's id waits, after an IHAVE, before a GRAFT pulls it (and between
 * announcers asked, docs/protocol.md §4.8 item 4). Well above a tree path's delay under load,
 * so that a slow tree is not grafted needlessly (0.5 s fragmented a loaded 50-node tree, 1 s
 * did not); it is also what one lost tree link costs an item.
 */
export const DEFAULT_GRAFT_TIMEOUT_S = 1;

/** How long ids wait to share one IHAVE per lazy link (docs/protocol.md §4.8 item 3). */
export const DEFAULT_LAZY_PUSH_DELAY_S = 0.25;

/** Smallest byte budget accepted: one frame of the largest size (the size field is a u16). */
export const MIN_BYTE_BUDGET = 64 * 1024;

/** Largest byte budget accepted (4 GiB). */
export const MAX_BYTE_BUDGET = 4 * 1024 * 1024 * 1024;

/** Largest config file read (docs/protocol.md §5); anything bigger is refused unread. */
export const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

/** Largest hostkey file read: a 4096-bit RSA PEM is about 3.3 KB, 16384 bits about 13 KB. */
export const HOSTKEY_FILE_MAX_BYTES = 64 * 1024;

/** Unknown [gossip] keys named in the one warning that summarises them. */
export const UNKNOWN_KEYS_SHOWN = 5;

/** pino level of the daemon's logs. */
export const DEFAULT_LOG_LEVEL = 'info';

/** Levels accepted for `log_level` (pino's, plus `silent`). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Hostkey size docs/protocol.md §5 asks for; smaller RSA keys are accepted with a warning. */
export const HOSTKEY_EXPECTED_BITS = 4096;

/** Smallest RSA hostkey accepted at all: below this the identity is not worth the name. */
export const HOSTKEY_MIN_BITS = 2048;

/** Name of the INI section this module reads (docs/protocol.md §5). */
export const CONFIG_SECTION = 'gossip';
