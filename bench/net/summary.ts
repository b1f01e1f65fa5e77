/** One configuration's measurements, reduced to the numbers bench:net prints and plots. */
import { totals, type ClusterMode, type NodeCounters } from './cluster.js';
import { messageName, PAYLOAD_TYPE, type Variant } from './dissemination.js';
import { ascending, mean, percentile } from './stats.js';

/** Tree events shown per item in the control breakdown, with their names there. */
const TREE_EVENTS: readonly [string, string][] = [
  ['ihave-id-received', 'IHAVE ids'],
  ['graft-id-received', 'GRAFT ids'],
  ['graft-unserved', 'GRAFTs unserved'],
  ['pull-given-up', 'pulls given up'],
];

export interface Identity {
  readonly mode: ClusterMode;
  readonly variant: Variant;
  /** GossipSub's mesh degree D (null: its default); null for our modes. */
  readonly meshDegree: number | null;
  readonly nodes: number;
  /** Our `degree` setting, or for GossipSub the one its random overlay was drawn with. */
  readonly degree: number;
  readonly formationAttempts: number;
  readonly warmUpReach: number;
  /**
   * This process during the announce phase: event-loop utilisation (0..1) and CPU ms per
   * item, the longest event-loop stall (timer lateness), and the machine's 1-minute load
   * average at the end (other work on the shared cores shows up in the tail latencies).
   * In-process that is all N daemons and the clients on ONE thread; with processes it is the
   * clients only. Zero for GossipSub (its runner is another process).
   */
  readonly benchProcess: {
    readonly eventLoopUtilisation: number;
    readonly cpuMsPerItem: number;
    readonly maxLoopDelayMs: number;
    readonly loadAverage: number;
  };
}

/** What every configuration measures about delivery, whoever spread the items. */
export interface Deliveries {
  readonly items: number;
  readonly subscribers: number;
  readonly deliveries: number;
  readonly repeatedNotifications: number;
  readonly latenciesByItem: readonly number[][];
}

export interface Costs {
  readonly links: { readonly mean: number; readonly min: number; readonly max: number; readonly edges: number };
  /** Copies of an item a node received from peers (first + duplicates) per node per item. */
  readonly copiesPerNodeItem: number;
  /** Every copy a node received from peers beyond its first, per node per item. */
  readonly duplicatesPerNodeItem: number;
  /** What flooding must send over this overlay, (2E − N + 1)/N (docs/net-bench.md); NaN for GossipSub. */
  readonly predictedCopiesPerNodeItem: number;
  /** Over the whole network, per item: frames (RPC control entries for GossipSub) and bytes received. */
  readonly controlFramesPerItem: number;
  readonly controlBytesPerItem: number;
  readonly payloadBytesPerItem: number;
  /** Control frames per item by message name (GossipSub: by control entry, plus ids in IHAVE/IWANT). */
  readonly controlByName: Readonly<Record<string, number>>;
  /** CPU ms per item of the whole network (in-process: the bench process; processes: the daemons'). */
  readonly networkCpuMsPerItem: number;
  readonly framesDropped: number;
  readonly itemsDropped: number;
}

export interface ConfigSummary extends Identity, Deliveries, Costs {
  /** Deliveries / (items × subscribers). */
  readonly deliveryRatio: number;
  /** ms from announce to an item's last delivery, over complete items. */
  readonly last: { readonly p50: number; readonly p99: number; readonly max: number };
  /** ms from announce to each delivery. */
  readonly each: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly incompleteItems: number;
  readonly seconds: number;
  /** Anything the tables should say about this configuration (a mesh that did not form …). */
  readonly note: string;
}

/** The delivery statistics of one run together with its identity and costs. */
export function combine(
  identity: Identity,
  result: Deliveries,
  costs: Costs,
  seconds: number,
  note = '',
): ConfigSummary {
  const complete = result.latenciesByItem.filter((latencies) => latencies.length === result.subscribers);
  const lastSorted = ascending(complete.map((latencies) => latencies[latencies.length - 1]!));
  const eachSorted = ascending(result.latenciesByItem.flat());
  const stats = (sorted: number[]) => ({
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  });
  return {
    ...identity,
    ...costs,
    items: result.items,
    subscribers: result.subscribers,
    deliveries: result.deliveries,
    repeatedNotifications: result.repeatedNotifications,
    latenciesByItem: result.latenciesByItem,
    deliveryRatio: result.deliveries / (result.items * result.subscribers),
    last: stats(lastSorted),
    each: stats(eachSorted),
    incompleteItems: result.items - complete.length,
    seconds,
    note,
  };
}

/** Our daemons' costs over one run, from their counters before and after it. */
export function daemonCosts(
  nodes: number,
  items: number,
  before: readonly NodeCounters[],
  after: readonly NodeCounters[],
  benchCpuMs: number,
): Costs {
  const [start, end] = [totals(before), totals(after)];
  const received = end.received - start.received;
  const duplicates = end.duplicates - start.duplicates;
  const linkCounts = after.map((c) => c.activeLinks);
  const edges = linkCounts.reduce((sum, n) => sum + n, 0) / 2;
  const perNodeItem = nodes * items;
  const controlByName: Record<string, number> = {};
  let [controlFrames, controlBytes, payloadBytes] = [0, 0, 0];
  for (const [key, { frames, bytes }] of Object.entries(end.p2pFrames)) {
    const type = Number(key);
    const frameCount = frames - (start.p2pFrames[type]?.frames ?? 0);
    const byteCount = bytes - (start.p2pFrames[type]?.bytes ?? 0);
    if (type === PAYLOAD_TYPE) {
      payloadBytes += byteCount;
    } else if (frameCount > 0) {
      controlFrames += frameCount;
      controlBytes += byteCount;
      controlByName[messageName(type)] = frameCount / items;
    }
  }
  // Tree traffic beyond the frame counts: ids per IHAVE/GRAFT and failed pulls (§4.8).
  for (const [event, name] of TREE_EVENTS) {
    const count = (end.treeEvents[event] ?? 0) - (start.treeEvents[event] ?? 0);
    if (count > 0) controlByName[name] = count / items;
  }
  const processCpu = after.every((c) => c.cpuSeconds !== null);
  return {
    links: { mean: mean(linkCounts), min: Math.min(...linkCounts), max: Math.max(...linkCounts), edges },
    copiesPerNodeItem: (received + duplicates) / perNodeItem,
    duplicatesPerNodeItem: duplicates / perNodeItem,
    predictedCopiesPerNodeItem: (2 * edges - nodes + 1) / nodes,
    controlFramesPerItem: controlFrames / items,
    controlBytesPerItem: controlBytes / items,
    payloadBytesPerItem: payloadBytes / items,
    controlByName,
    networkCpuMsPerItem: processCpu ? ((end.cpuSeconds - start.cpuSeconds) * 1000) / items : benchCpuMs / items,
    framesDropped: end.framesDropped - start.framesDropped,
    itemsDropped: end.itemsDropped - start.itemsDropped,
  };
}
