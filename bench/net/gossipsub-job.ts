/**
 * What bench:net hands the GossipSub runner (bench/gossipsub/, a package of its own) and what
 * it gets back: plain JSON both ways; this file is the only code the two share.
 */

export interface GossipsubJob {
  readonly mode: 'in-process' | 'processes';
  readonly nodes: number;
  /** Mesh degree D; null keeps the library's default (6). */
  readonly meshDegree: number | null;
  /** The overlay: node a dials node b, once per pair. */
  readonly edges: readonly (readonly [number, number])[];
  /** The node that publishes item n. */
  readonly publishers: readonly number[];
  readonly intervalMs: number;
  readonly payloadBytes: number;
  /** How long each step of forming the mesh may take before the bench goes on anyway. */
  readonly meshTimeoutMs: number;
  readonly warmUpTimeoutMs: number;
  readonly deliveryTimeoutMs: number;
}

/** One node's counts over the measured run (after minus before the items). */
export interface GossipsubCounts {
  /** Copies of our items received in RPCs from peers. */
  copies: number;
  /** Of those, copies of an item the node had already (published it or got it before). */
  duplicates: number;
  /** RPCs received and their encoded size (protobuf, without length prefix, yamux or noise). */
  rpcs: number;
  rpcBytes: number;
  /** Bytes of the `messages` entries (payload copies) within those RPCs. */
  messageBytes: number;
  /** Control entries received (one per IHAVE/IWANT/GRAFT/PRUNE/IDONTWANT entry) and subscription changes. */
  ihave: number;
  iwant: number;
  graft: number;
  prune: number;
  idontwant: number;
  subscriptions: number;
  /** Message ids listed in IHAVE and IWANT entries. */
  ihaveIds: number;
  iwantIds: number;
  /** CPU time of the process the node runs in (in-process: the one shared process). */
  cpuMs: number;
}

export interface GossipsubResult {
  readonly items: number;
  readonly subscribers: number;
  readonly deliveries: number;
  readonly repeatedNotifications: number;
  /** Per item: ms from publish to each of its deliveries, ascending. */
  readonly latenciesByItem: number[][];
  /** Connections per node and mesh peers per node when the run started, and mesh peers at its end. */
  readonly links: number[];
  readonly meshPeers: number[];
  readonly meshPeersAtEnd: number[];
  /** Subscribers the warm-up item reached. */
  readonly warmUpReach: number;
  /** Publishes the library refused (no peers subscribed and the like). */
  readonly publishErrors: number;
  /** Summed over nodes; in-process cpuMs is the one process's, counted once. */
  readonly counts: GossipsubCounts;
  readonly seconds: number;
}

export const emptyCounts = (): GossipsubCounts => ({
  copies: 0,
  duplicates: 0,
  rpcs: 0,
  rpcBytes: 0,
  messageBytes: 0,
  ihave: 0,
  iwant: 0,
  graft: 0,
  prune: 0,
  idontwant: 0,
  subscriptions: 0,
  ihaveIds: 0,
  iwantIds: 0,
  cpuMs: 0,
});
