/**
 * Several daemons in this process on distinct loopback addresses (127.0.0.x), sharing one
 * proof-of-work pool, for the multi-node tests and bench:net. Set GOSSIP_TEST_LOG=debug to
 * see their logs, and GOSSIP_TEST_DISSEMINATION=tree to run every multi-node test over the
 * broadcast tree (docs/protocol.md §4.8) instead of the default flooding.
 */
import pino from 'pino';
import { defaultConfig, type GossipConfig } from '../../runtime/config.js';
import { DEFAULT_MAX_PEERS_PER_DEGREE } from '../../runtime/constants.js';
import { startDaemon, type Daemon } from '../../runtime/daemon.js';
import { PowPool } from '../../runtime/pow/pool.js';

export interface NetworkOptions {
  readonly nodes: number;
  /** Settings for every node (degree, pow_difficulty, timeouts ...). */
  readonly config?: Partial<GossipConfig>;
  /** Settings for node i only (a peers file of its own ...), over `config`. */
  readonly configOf?: (index: number) => Partial<GossipConfig>;
  /** Who node i bootstraps from; default: node 0 for everyone else. */
  readonly bootstrapOf?: (index: number) => number | null;
  /** Address of node i; default 127.0.0.(i+1). */
  readonly hostOf?: (index: number) => string;
  /** Wait this long between starting nodes (lets a line form in order). */
  readonly staggerMs?: number;
}

export interface TestNetwork {
  readonly daemons: (Daemon | null)[];
  readonly pow: PowPool;
  /** Stops node i (as a crash would look to its peers: connections close). */
  kill(index: number): Promise<void>;
  close(): Promise<void>;
}

/** The dissemination mode of the test networks: GOSSIP_TEST_DISSEMINATION, else the daemon's default. */
export const TEST_DISSEMINATION = testDissemination(process.env.GOSSIP_TEST_DISSEMINATION);

function testDissemination(value: string | undefined): GossipConfig['dissemination'] {
  if (value === undefined || value === '') return defaultConfig().dissemination;
  if (value === 'tree' || value === 'flood') return value;
  throw new Error(`GOSSIP_TEST_DISSEMINATION must be tree or flood, got ${value}`);
}

export const TEST_CONFIG: Partial<GossipConfig> = {
  dissemination: TEST_DISSEMINATION,
  powDifficulty: 6,
  verificationTimeoutMs: 5_000,
  validationTimeoutMs: 2_000,
  rejoinIntervalMs: 0,
  cacheSize: 1_000,
};

export async function startNetwork(options: NetworkOptions): Promise<TestNetwork> {
  const pow = new PowPool();
  const logger = pino({ level: process.env.GOSSIP_TEST_LOG ?? 'silent' });
  const hostOf = options.hostOf ?? ((index: number) => `127.0.0.${index + 1}`);
  const bootstrapOf = options.bootstrapOf ?? ((index: number) => (index === 0 ? null : 0));
  const daemons: (Daemon | null)[] = [];
  const network: TestNetwork = {
    daemons,
    pow,
    async kill(index) {
      const daemon = daemons[index];
      daemons[index] = null;
      await daemon?.close();
    },
    async close() {
      await Promise.all(daemons.map((daemon) => (daemon ? daemon.close() : Promise.resolve())));
      await pow.close();
    },
  };
  try {
    for (let index = 0; index < options.nodes; index++) {
      const host = hostOf(index);
      const bootstrapIndex = bootstrapOf(index);
      const bootstrap = bootstrapIndex === null ? null : daemons[bootstrapIndex];
      const config: GossipConfig = {
        ...defaultConfig(),
        ...TEST_CONFIG,
        ...options.config,
        ...options.configOf?.(index),
        apiAddress: { host, port: 0, family: 4 },
        p2pAddress: { host, port: 0, family: 4 },
        bootstrapper: bootstrap ? { host: bootstrap.p2p.address, port: bootstrap.p2p.port, family: 4 } : null,
      };
      config.maxPeers = options.config?.maxPeers ?? DEFAULT_MAX_PEERS_PER_DEGREE * config.degree;
      daemons.push(await startDaemon(config, logger.child({ node: index }), { pow }));
      if (options.staggerMs) await sleep(options.staggerMs);
    }
  } catch (error) {
    await network.close();
    throw error;
  }
  return network;
}

/** Polls `condition` every 50 ms until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
  return Date.now() - started;
}

/** Is the overlay of the live daemons one connected graph? (BFS over active links.) */
export function isConnected(daemons: (Daemon | null)[]): boolean {
  const live = daemons.filter((d): d is Daemon => d !== null);
  if (live.length <= 1) return true;
  const byKey = new Map(live.map((d) => [`${d.p2p.address}:${d.p2p.port}`, d]));
  const seen = new Set<Daemon>([live[0]!]);
  const frontier = [live[0]!];
  while (frontier.length > 0) {
    const daemon = frontier.pop()!;
    for (const link of daemon.overlay.activeLinks) {
      const address = link.listenAddress;
      const neighbour = address ? byKey.get(`${address.host}:${address.port}`) : undefined;
      if (neighbour && !seen.has(neighbour)) {
        seen.add(neighbour);
        frontier.push(neighbour);
      }
    }
  }
  return seen.size === live.length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sum of a prom-client metric's values (all label sets). */
export async function metricTotal(metric: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await metric.get()).values.reduce((sum, entry) => sum + entry.value, 0);
}
