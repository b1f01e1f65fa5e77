/**
 * One saturation probe (a fixed rate for a set time on one lane's network, judged against the
 * bounds of docs/net-bench.md) and the search over rates that picks the next one.
 */
import { loadavg } from 'node:os';
import type { Dissemination } from './dissemination.js';
import type { FormedNetwork } from './form-network.js';
import type { BenchOptions } from './options.js';
import { ascending, percentile } from './stats.js';

export interface Probe {
  /** Items per second offered (planned). */
  readonly rate: number;
  /** Items per second the bench process managed to announce. */
  readonly achievedRate: number;
  readonly deliveryRatio: number;
  /** ms; NaN when no item reached every subscriber. */
  readonly lastP99: number;
  readonly passed: boolean;
  /** Why it failed, in a few words ('' when it passed). */
  readonly failure: string;
  readonly loadAverage: number;
  /** Share of the probe the bench process's event loop was busy (1 = it may have been the limit). */
  readonly benchBusy: number;
  /**
   * Over all nodes during the probe: ids pulled by GRAFT, and pushes announced instead
   * because the eager link's send queue was full (tree mode, docs/protocol.md §4.8 items 3
   * and 4; 0 in flood mode). A pulled item costs at least lazy_push_delay + graft_timeout.
   */
  readonly pulledIds: number;
  readonly eagerAsLazy: number;
}

/** The bracket is close enough when the failing rate is within this factor of the passing one. */
const BRACKET = 1.1;
/** Rest between probes so that what a failed probe queued is gone before the next. */
export const REST_MS = 3_000;
const WARM_UP_TIMEOUT_MS = 3_000;
/** Seconds of traffic a fresh network gets before the first probe. */
export const WARM_UP_S = 5;

/** One mode's search over rates (doubling or halving until bracketed, then bisecting). */
export class RateSearch {
  low: number | null = null;
  high: number | null = null;
  next: number | null;

  constructor(
    start: number,
    private readonly max: number,
  ) {
    this.next = start;
  }

  record(rate: number, passed: boolean): void {
    if (passed) this.low = rate;
    else this.high = rate;
    if (this.low === null) this.next = rate / 2 >= 1 ? rate / 2 : null;
    else if (this.high === null) this.next = rate * 2 <= this.max ? rate * 2 : null;
    else this.next = this.high / this.low > BRACKET ? Math.round(Math.sqrt(this.low * this.high)) : null;
  }
}

export interface Lane {
  readonly variant: Dissemination;
  readonly name: string;
  readonly search: RateSearch;
  readonly probes: Probe[];
  network: FormedNetwork;
  readonly form: () => Promise<FormedNetwork>;
  /** Seconds this lane's probes took so far (its budget). */
  spent: number;
}

/** One probe: `rate` items/s for the set time on the lane's network; true when it passed. */
export async function probe(
  lane: Lane,
  rate: number,
  payloadBytes: number,
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<boolean> {
  const { seconds, p99BoundMs, nodes } = options.saturation;
  const items = Math.max(2, Math.round(rate * seconds));
  progress(`${lane.name}: probing ${rate.toFixed(0)} items/s for ${seconds} s (${items} items)`);
  const treeBefore = await treeEventTotals(lane);
  const loopBefore = performance.eventLoopUtilization();
  const result = await lane.network.workload.run(() => undefined, {
    items,
    intervalMs: 1000 / rate,
    payloadBytes,
    deliveryTimeoutMs: 4 * p99BoundMs + 2_000,
  });
  const benchBusy = performance.eventLoopUtilization(loopBefore).utilization;
  const deliveryRatio = result.deliveries / (result.items * result.subscribers);
  const last = ascending(
    result.latenciesByItem.filter((l) => l.length === result.subscribers).map((l) => l[l.length - 1]!),
  );
  const lastP99 = percentile(last, 99);
  const failures = [
    deliveryRatio < 1 ? `delivery ${(deliveryRatio * 100).toFixed(2)} %` : '',
    !(lastP99 <= p99BoundMs) ? `last p99 ${Number.isFinite(lastP99) ? lastP99.toFixed(0) : '–'} ms` : '',
    result.achievedRate < 0.95 * rate ? `bench announced only ${result.achievedRate.toFixed(0)}/s` : '',
  ].filter(Boolean);
  const passed = failures.length === 0;
  await new Promise((resolve) => setTimeout(resolve, REST_MS));
  const treeAfter = await treeEventTotals(lane);
  const treeDelta = (event: string): number => (treeAfter[event] ?? 0) - (treeBefore[event] ?? 0);
  const pulledIds = treeDelta('graft-id-sent');
  const eagerAsLazy = treeDelta('eager-as-lazy');
  if (!passed) {
    // Overload may leave the overlay partitioned (links closed, rotation off): probe it, and
    // start afresh when it is, so that the next probe measures a rate, not the damage.
    const reach = await lane.network.workload.warmUp(WARM_UP_TIMEOUT_MS);
    if (reach < nodes) {
      failures.push(`overlay left partitioned (a new item reached ${reach}/${nodes}): formed afresh`);
      progress(`${lane.name}: after ${rate.toFixed(0)} items/s the overlay is partitioned; forming a new network`);
      lane.network.workload.close();
      await lane.network.cluster.close();
      lane.network = await lane.form();
    }
  }
  const failure = failures.join(', ');
  const loadAverage = loadavg()[0]!;
  lane.probes.push({
    rate,
    achievedRate: result.achievedRate,
    deliveryRatio,
    lastP99,
    passed,
    failure,
    loadAverage,
    benchBusy,
    pulledIds,
    eagerAsLazy,
  });
  const tree = lane.variant === 'tree' ? `, ids pulled ${pulledIds} (eager-as-lazy ${eagerAsLazy})` : '';
  progress(
    `${lane.name}: ${rate.toFixed(0)} items/s ${passed ? 'sustained' : `FAILED (${failure})`}; delivery ${(deliveryRatio * 100).toFixed(2)} %, last p99 ${Number.isFinite(lastP99) ? lastP99.toFixed(1) : '–'} ms${tree}, bench loop ${(benchBusy * 100).toFixed(0)} % busy, load average ${loadAverage.toFixed(1)}`,
  );
  return passed;
}

/** Tree events summed over the lane's running nodes (after a network was formed afresh, its own). */
async function treeEventTotals(lane: Lane): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const counters of await lane.network.cluster.counters()) {
    for (const [event, count] of Object.entries(counters.treeEvents)) totals[event] = (totals[event] ?? 0) + count;
  }
  return totals;
}
