/** One configuration's measurements, reduced to the numbers bench:net prints and plots. */
import { totals, type ClusterMode, type NodeCounters } from './cluster.js';
import { ascending, mean, percentile } from './stats.js';
import type { WorkloadResult } from './workload.js';

export interface ConfigSummary {
  readonly mode: ClusterMode;
  readonly nodes: number;
  readonly degree: number;
  readonly items: number;
  readonly links: { readonly mean: number; readonly min: number; readonly max: number; readonly edges: number };
  /** Deliveries / (items × subscribers). */
  readonly deliveryRatio: number;
  readonly repeatedNotifications: number;
  /** ms from announce to an item's last delivery, over complete items. */
  readonly last: { readonly p50: number; readonly p99: number; readonly max: number };
  /** ms from announce to each delivery. */
  readonly each: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Copies of an item a node received from peers (new + duplicates) per node per item. */
  readonly copiesPerNodeItem: number;
  readonly duplicatesPerNodeItem: number;
  /**
   * Copies flooding must send over this overlay (docs/protocol.md §4.4): the announcing node
   * sends on each of its links, every other node on each link but the one the item came
   * in on: Σdeg − (N − 1) = 2E − N + 1 per item, i.e. (2E − N + 1)/N per node.
   */
  readonly predictedCopiesPerNodeItem: number;
  readonly framesDropped: number;
  readonly itemsDropped: number;
  readonly incompleteItems: number;
  readonly latenciesByItem: readonly number[][];
  readonly seconds: number;
  /**
   * This process during the announce phase: event-loop utilisation (0..1) and CPU ms per
   * item, the longest event-loop stall (timer lateness), and the machine's 1-minute load
   * average at the end (other work on the shared cores shows up in the tail latencies). In-process that is all N daemons and the clients on ONE thread; with processes
   * it is the clients only.
   */
  readonly benchProcess: {
    readonly eventLoopUtilisation: number;
    readonly cpuMsPerItem: number;
    readonly maxLoopDelayMs: number;
    readonly loadAverage: number;
  };
  /** Networks started until one was connected (or the last try, if none was). */
  readonly formationAttempts: number;
  /** Subscribers the warm-up item reached: N when the overlay is connected. */
  readonly warmUpReach: number;
}

export function summarise(
  identity: {
    mode: ClusterMode;
    nodes: number;
    degree: number;
    formationAttempts: number;
    warmUpReach: number;
    benchProcess: ConfigSummary['benchProcess'];
  },
  result: WorkloadResult,
  before: readonly NodeCounters[],
  after: readonly NodeCounters[],
  seconds: number,
): ConfigSummary {
  const { nodes } = identity;
  const [start, end] = [totals(before), totals(after)];
  const received = end.received - start.received;
  const duplicates = end.duplicates - start.duplicates;
  const linkCounts = after.map((c) => c.activeLinks);
  const edges = linkCounts.reduce((sum, n) => sum + n, 0) / 2;
  const complete = result.latenciesByItem.filter((latencies) => latencies.length === result.subscribers);
  const lastSorted = ascending(complete.map((latencies) => latencies[latencies.length - 1]!));
  const eachSorted = ascending(result.latenciesByItem.flat());
  const perNodeItem = nodes * result.items;
  return {
    ...identity,
    items: result.items,
    links: { mean: mean(linkCounts), min: Math.min(...linkCounts), max: Math.max(...linkCounts), edges },
    deliveryRatio: result.deliveries / (result.items * result.subscribers),
    repeatedNotifications: result.repeatedNotifications,
    last: { p50: percentile(lastSorted, 50), p99: percentile(lastSorted, 99), max: lastSorted.at(-1) ?? Number.NaN },
    each: { p50: percentile(eachSorted, 50), p99: percentile(eachSorted, 99), max: eachSorted.at(-1) ?? Number.NaN },
    copiesPerNodeItem: (received + duplicates) / perNodeItem,
    duplicatesPerNodeItem: duplicates / perNodeItem,
    predictedCopiesPerNodeItem: (2 * edges - nodes + 1) / nodes,
    framesDropped: end.framesDropped - start.framesDropped,
    itemsDropped: end.itemsDropped - start.itemsDropped,
    incompleteItems: result.items - complete.length,
    latenciesByItem: result.latenciesByItem,
    seconds,
  };
}
