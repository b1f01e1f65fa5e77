/**
 * What bench:net needs of a running network, whether its daemons live in this process
 * (test/support/network.ts) or in child processes (`node bin/gossip.js daemon -c FILE`).
 */

import type { Dissemination } from './dissemination.js';

/** Frames and bytes received on the P2P server, by message type number. */
export type FramesByType = Record<number, { readonly frames: number; readonly bytes: number }>;

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
  /** `gossip_frames_received_total` and `gossip_frame_bytes_received_total` of the P2P server. */
  readonly p2pFrames: FramesByType;
  /** `gossip_tree_events_total` by event (ids in IHAVEs and GRAFTs, pulls given up …; §4.8). */
  readonly treeEvents: Readonly<Record<string, number>>;
  /** The daemon process's CPU seconds (`process_cpu_seconds_total`); null in-process (one shared process). */
  readonly cpuSeconds: number | null;
  /**
   * Links in eager mode now (`gossip_tree_links{mode="eager"}`, §4.8: in flood mode every link
   * counts as eager); null when the node does not report the gauge (a build without tree mode).
   */
  readonly eagerLinks: number | null;
}

export type ClusterMode = 'in-process' | 'processes';

export interface BenchCluster {
  readonly mode: ClusterMode;
  /** API address of node i, `host:port`. */
  readonly apiEndpoints: readonly string[];
  /** Counters of every node still running (a killed node is left out). */
  counters(): Promise<NodeCounters[]>;
  /** Kills node i at once (SIGKILL as processes): its peers see their links drop. */
  kill(index: number): Promise<void>;
  close(): Promise<void>;
}

export interface ClusterSettings {
  readonly nodes: number;
  readonly degree: number;
  readonly powDifficulty: number;
  readonly dissemination: Dissemination;
  /** Processes only: which block of loopback addresses (two networks side by side); default 0. */
  readonly addressBlock?: number;
}

/** Settings common to both modes: a fixed overlay (no rotation) and room for every item. */
export const BENCH_NODE_SETTINGS = {
  /** Rotation off: the overlay under measurement must not change (§4.3, 0 = off). */
  rejoinIntervalMs: 0,
  verificationTimeoutMs: 10_000,
  validationTimeoutMs: 5_000,
  cacheSize: 1_000,
} as const;

export interface Totals {
  readonly received: number;
  readonly duplicates: number;
  readonly framesDropped: number;
  readonly itemsDropped: number;
  readonly p2pFrames: FramesByType;
  readonly treeEvents: Readonly<Record<string, number>>;
  readonly cpuSeconds: number;
}

export function totals(counters: readonly NodeCounters[]): Totals {
  const sum = (pick: (c: NodeCounters) => number): number => counters.reduce((acc, c) => acc + pick(c), 0);
  const p2pFrames: Record<number, { frames: number; bytes: number }> = {};
  for (const counter of counters) {
    for (const [type, { frames, bytes }] of Object.entries(counter.p2pFrames)) {
      const entry = (p2pFrames[Number(type)] ??= { frames: 0, bytes: 0 });
      entry.frames += frames;
      entry.bytes += bytes;
    }
  }
  const treeEvents: Record<string, number> = {};
  for (const counter of counters)
    for (const [event, count] of Object.entries(counter.treeEvents))
      treeEvents[event] = (treeEvents[event] ?? 0) + count;
  return {
    received: sum((c) => c.received),
    duplicates: sum((c) => c.duplicates),
    framesDropped: sum((c) => c.framesDropped),
    itemsDropped: sum((c) => c.itemsDropped),
    p2pFrames,
    treeEvents,
    cpuSeconds: sum((c) => c.cpuSeconds ?? 0),
  };
}
