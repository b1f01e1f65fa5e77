/**
 * `voidphone-gossip/daemon`: a Gossip node inside your own process. A small, stable facade over
 * the runtime's internals (runtime/daemon.ts), which may change:
 *
 *   const node = await startGossipDaemon({ config: { api_address: '127.0.0.1:0', p2p_address: '127.0.0.1:0' } });
 *   node.api.port; node.on('item', (event) => …); await node.metricsText(); await node.close();
 *
 * The config object takes the keys of the INI file's [gossip] section (docs/configuration.md),
 * numbers and booleans as such or as text, and is checked by the same schema; a problem
 * rejects with a ConfigError whose message is one line. Unlike a file, an address here may
 * give port 0 (any free port): read the bound ports from the handle.
 */
import { EventEmitter } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { buildConfig } from '../config-build.js';
import type { GossipKey } from '../config-schema.js';
import { coerceSection, validateValues } from '../config-values.js';
import * as defaults from '../constants.js';
import { startDaemon } from '../daemon.js';
import { createLogger } from '../logger.js';
import type { ItemEventLabel } from '../metrics.js';

export { ConfigError, GossipError } from '../errors.js';

/** The [gossip] keys of docs/configuration.md; all optional here (defaults as `gossip daemon` without -c). */
export type GossipConfigKeys = Partial<Record<GossipKey, string | number | boolean>>;

export interface StartGossipDaemonOptions {
  /** [gossip] keys. Missing required keys take the built-in config's values (loopback, ports 7001/6001). */
  readonly config?: GossipConfigKeys;
  /** Path of the RSA hostkey PEM (the INI file's top-level `hostkey`), relative to `baseDir`. */
  readonly hostkey?: string;
  /** Directory that relative paths (hostkey, peers_file) are resolved against; default the working directory. */
  readonly baseDir?: string;
  /** A pino logger, or a level for a new one on stdout (default: `log_level`, else `silent`). */
  readonly logger?: Logger | string;
}

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

/** What happened to an item: the events counted by the `gossip_items_*_total` metrics. */
export interface ItemEvent {
  readonly event: ItemEventLabel;
  /** Why (`dropped`: e.g. `validation-timeout`) or where from (`duplicate`: `local` | `peer`). */
  readonly reason?: string;
}

export interface GossipDaemonEvents {
  item: [ItemEvent];
  close: [];
}

/** A running node. */
export interface GossipDaemonHandle extends EventEmitter<GossipDaemonEvents> {
  /** The API port's bound address (the real port when the config said 0). */
  readonly api: BoundAddress;
  /** The P2P port's bound address. */
  readonly p2p: BoundAddress;
  /** The Prometheus text exposition of this node's metrics (what GET /metrics returns). */
  metricsText(): Promise<string>;
  /** Stops listening, closes every connection and the proof-of-work workers. Idempotent. */
  close(): Promise<void>;
}

/** Address keys that may give port 0 here. */
const ANY_PORT_KEYS: readonly GossipKey[] = ['api_address', 'p2p_address', 'metrics_address'];

/** Starts a node; resolves once both ports listen. */
export async function startGossipDaemon(options: StartGossipDaemonOptions = {}): Promise<GossipDaemonHandle> {
  const baseDir = resolve(options.baseDir ?? process.cwd());
  // Messages name this pseudo-file; its directory anchors relative paths.
  const where = join(baseDir, '(config object)');
  const given: GossipConfigKeys = {
    cache_size: defaults.DEFAULT_CACHE_SIZE_ITEMS,
    degree: defaults.DEFAULT_DEGREE_PEERS,
    p2p_address: defaults.DEFAULT_P2P_ADDRESS,
    api_address: defaults.DEFAULT_API_ADDRESS,
    ...options.config,
  };
  // Port 0 is not a valid file value: check a distinct placeholder port, bind port 0.
  const anyPort = new Set<GossipKey>();
  ANY_PORT_KEYS.forEach((key, index) => {
    const text = given[key];
    if (typeof text === 'string' && /:0$/.test(text.trim())) {
      given[key] = `${text.trim().slice(0, -1)}${index + 1}`;
      anyPort.add(key);
    }
  });
  const values = coerceSection(given);
  validateValues(where, options.hostkey, values);
  const config = buildConfig(
    where,
    values,
    options.hostkey === undefined ? null : resolve(dirname(where), options.hostkey),
  );
  if (anyPort.has('api_address')) config.apiAddress = { ...config.apiAddress, port: 0 };
  if (anyPort.has('p2p_address')) config.p2pAddress = { ...config.p2pAddress, port: 0 };
  if (anyPort.has('metrics_address') && config.metricsAddress)
    config.metricsAddress = { ...config.metricsAddress, port: 0 };
  const logger =
    typeof options.logger === 'object'
      ? options.logger
      : createLogger(options.logger ?? (options.config?.log_level === undefined ? 'silent' : config.logLevel));
  const daemon = await startDaemon(config, logger);

  const emitter = new EventEmitter<GossipDaemonEvents>();
  // Every item event also reaches the handle's listeners (the metrics stay the observer).
  const count = daemon.metrics.item.bind(daemon.metrics);
  daemon.metrics.item = (event, reason) => {
    count(event, reason);
    emitter.emit('item', reason === undefined ? { event } : { event, reason });
  };
  let closing: Promise<void> | null = null;
  return Object.assign(emitter, {
    api: { host: daemon.api.address, port: daemon.api.port },
    p2p: { host: daemon.p2p.address, port: daemon.p2p.port },
    metricsText: () => daemon.metrics.text(),
    close: () => {
      closing ??= daemon.close().then(() => {
        emitter.emit('close');
      });
      return closing;
    },
  });
}
