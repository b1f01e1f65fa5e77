/**
 * Saturation: the highest rate of items of a given size that N daemon processes sustain for
 * a given time with 100 % delivery and a last-delivery p99 within a bound. Per size and mode,
 * on a network of its own (formed afresh when a failed probe left it partitioned): rates
 * doubled from a start until a probe fails, then bisected (geometric mean) until the bracket
 * is within 10 % or the search's time budget is spent.
 */
import { loadavg } from 'node:os';
import { seededRandom } from '../../test/support/seeded-random.js';
import { disseminationUnsupported, type Dissemination } from './dissemination.js';
import { formNetwork, type FormedNetwork } from './form-network.js';
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
}

export interface SaturationResult {
  readonly variant: Dissemination;
  readonly payloadBytes: number;
  readonly probes: readonly Probe[];
  /** The highest rate that passed, or null when none did. */
  readonly sustained: number | null;
  /** The lowest rate that failed, or null when none did (the search hit its maximum rate). */
  readonly failedAt: number | null;
  readonly seconds: number;
}

/** The bracket is close enough when the failing rate is within this factor of the passing one. */
const BRACKET = 1.1;
/** Rest between probes so that what a failed probe queued is gone before the next. */
const REST_MS = 3_000;
const WARM_UP_TIMEOUT_MS = 3_000;
/** Seconds of traffic a fresh network gets before the first probe. */
const WARM_UP_S = 5;

export async function runSaturation(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<{ results: SaturationResult[]; notes: string[] }> {
  const notes: string[] = [];
  const modes = (['flood', 'tree'] as const).filter((m) => options.variants.includes(m));
  const gap = disseminationUnsupported();
  if (gap !== null && modes.includes('tree')) notes.push(`tree: ${gap}`);
  const results: SaturationResult[] = [];
  const { nodes, degree, sizes } = options.saturation;
  // Modes inner: the runs compared with each other follow each other (similar machine load).
  for (const payloadBytes of sizes) {
    for (const mode of modes.filter((m) => m !== 'tree' || gap === null)) {
      const settings = { nodes, degree, powDifficulty: options.powDifficulty, dissemination: mode };
      // A network of its own per search: what one search's overload did must not weigh on the next.
      const name = `saturation ${mode} processes N=${nodes} degree=${degree} ${payloadBytes} B`;
      const workloadOptions = {
        items: 1,
        intervalMs: 1,
        payloadBytes,
        deliveryTimeoutMs: 5_000,
        random: seededRandom(options.seed),
      };
      // A fresh network is slow at first (the daemons' code not yet optimised): a few seconds of
      // traffic at the start rate, not judged, before any probe.
      const form = async (): Promise<FormedNetwork> => {
        const formed = await formNetwork('processes', settings, workloadOptions, name, progress);
        const { startRate } = options.saturation;
        progress(`${name}: ${WARM_UP_S} s of unjudged traffic at ${startRate} items/s`);
        await formed.workload.run(() => undefined, {
          items: Math.round(startRate * WARM_UP_S),
          intervalMs: 1000 / startRate,
          payloadBytes,
        });
        await new Promise((resolve) => setTimeout(resolve, REST_MS));
        return formed;
      };
      const network = { current: await form() };
      try {
        results.push(await search(mode, payloadBytes, options, network, form, name, progress));
      } finally {
        network.current.workload.close();
        await network.current.cluster.close();
      }
    }
  }
  return { results, notes };
}

async function search(
  variant: Dissemination,
  payloadBytes: number,
  options: BenchOptions,
  network: { current: FormedNetwork },
  form: () => Promise<FormedNetwork>,
  name: string,
  progress: (line: string) => void,
): Promise<SaturationResult> {
  const { seconds, startRate, maxRate, p99BoundMs, budgetSeconds } = options.saturation;
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const probes: Probe[] = [];
  const probe = async (rate: number): Promise<boolean> => {
    const items = Math.max(2, Math.round(rate * seconds));
    progress(
      `${name}: probing ${rate.toFixed(0)} items/s for ${seconds} s (${items} items; search at ${elapsed().toFixed(0)} s)`,
    );
    const loopBefore = performance.eventLoopUtilization();
    const result = await network.current.workload.run(() => undefined, {
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
    if (!passed) {
      // Overload may leave the overlay partitioned (links closed, rotation off): probe it, and
      // start afresh when it is, so that the next probe measures a rate, not the damage.
      const reach = await network.current.workload.warmUp(WARM_UP_TIMEOUT_MS);
      if (reach < options.saturation.nodes) {
        failures.push(
          `overlay left partitioned (a new item reached ${reach}/${options.saturation.nodes}): formed afresh`,
        );
        progress(`${name}: after ${rate.toFixed(0)} items/s the overlay is partitioned; forming a new network`);
        network.current.workload.close();
        await network.current.cluster.close();
        network.current = await form();
      }
    }
    const failure = failures.join(', ');
    probes.push({
      rate,
      achievedRate: result.achievedRate,
      deliveryRatio,
      lastP99,
      passed,
      failure,
      loadAverage: loadavg()[0]!,
      benchBusy,
    });
    progress(
      `${name}: ${rate.toFixed(0)} items/s ${passed ? 'sustained' : `FAILED (${failure})`}; delivery ${(deliveryRatio * 100).toFixed(2)} %, last p99 ${Number.isFinite(lastP99) ? lastP99.toFixed(1) : '–'} ms, bench loop ${(benchBusy * 100).toFixed(0)} % busy, load average ${loadavg()[0]!.toFixed(1)}`,
    );
    return passed;
  };
  let [low, high]: [number | null, number | null] = [null, null];
  // Doubling (or halving, when even the start fails) until the rate is bracketed.
  for (let rate = startRate; elapsed() < budgetSeconds;) {
    if (await probe(rate)) {
      low = rate;
      if (high !== null || rate * 2 > maxRate) break;
      rate *= 2;
    } else {
      high = rate;
      if (low !== null || rate / 2 < 1) break;
      rate /= 2;
    }
  }
  while (low !== null && high !== null && high / low > BRACKET && elapsed() < budgetSeconds) {
    const mid = Math.round(Math.sqrt(low * high));
    if (await probe(mid)) low = mid;
    else high = mid;
  }
  if (elapsed() >= budgetSeconds) progress(`${name}: the search's budget of ${budgetSeconds} s is spent`);
  progress(
    `${name}: sustained ${low === null ? 'no rate' : `${low.toFixed(0)} items/s`}${high === null ? '' : `, failed at ${high.toFixed(0)}`} (search took ${elapsed().toFixed(0)} s)`,
  );
  return { variant, payloadBytes, probes, sustained: low, failedAt: high, seconds: elapsed() };
}
