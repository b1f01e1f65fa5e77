/**
 * What bench:net needs of a running network, whether its daemons live in this process
 * (test/support/network.ts) or in child processes (`node bin/gossip.js daemon -c FILE`).
 */

/** Per-node counters, read from the daemon's metrics (runtime/metrics.ts). */
export interface NodeCounters {
  /** New items received from peers (`gossip_items_received_total`). */
  readonly received: number;
  /** Copies of items already seen, received from peers (`gossip_items_duplicate_total{source="peer"}`). */
  readonly duplicates: number;
  /** Frames dropped before the handler saw them (`gossip_frames_dropped_total`), any reason. */
  readonly framesDropped: number;
  /** Items dropped by the handler (`gossip_items_dropped_total`), any reason. */
  readonly itemsDropped: number;
  /** Active (verified) P2P links now (`gossip_peers{state="active"}`). */
  readonly activeLinks: number;
}

export type ClusterMode = 'in-process' | 'processes';

export interface BenchCluster {
  readonly mode: ClusterMode;
  /** API address of node i, `host:port`. */
  readonly apiEndpoints: readonly string[];
  counters(): Promise<NodeCounters[]>;
  close(): Promise<void>;
}

export interface ClusterSettings {
  readonly nodes: number;
  readonly degree: number;
  readonly powDifficulty: number;
}

/** Settings common to both modes: a fixed overlay (no rotation) and room for every item. */
export const BENCH_NODE_SETTINGS = {
  /** Rotation off: the overlay under measurement must not change (§4.3, 0 = off). */
  rejoinIntervalMs: 0,
  verificationTimeoutMs: 10_000,
  validationTimeoutMs: 5_000,
  cacheSize: 1_000,
} as const;

export function totals(counters: readonly NodeCounters[]): Omit<NodeCounters, 'activeLinks'> {
  const sum = (pick: (c: NodeCounters) => number): number => counters.reduce((acc, c) => acc + pick(c), 0);
  return {
    received: sum((c) => c.received),
    duplicates: sum((c) => c.duplicates),
    framesDropped: sum((c) => c.framesDropped),
    itemsDropped: sum((c) => c.itemsDropped),
  };
}
