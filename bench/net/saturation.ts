/**
 * Saturation: the highest rate of items of a given size that N daemon processes sustain for
 * a given time with 100 % delivery and a last-delivery p99 within a bound. Per uplink (none,
 * or a cap on every daemon's P2P egress, bench/net/uplink-shaping.ts) and size, one network
 * per mode, side by side (flood on 127.0.1.x, tree on 127.0.2.x), their probes taking turns
 * so that both see the same machine load; a network is formed afresh when a failed probe
 * left it partitioned. Each search doubles its rate from a start until a probe fails, then
 * bisects (geometric mean) until the bracket is within 10 % or its time budget is spent.
 */
import { seededRandom } from '../../test/support/seeded-random.js';
import { disseminationUnsupported, type Dissemination } from './dissemination.js';
import { formNetwork, type FormedNetwork } from './form-network.js';
import type { BenchOptions } from './options.js';
import { hostIn, P2P_PORT } from './process-cluster.js';
import { probe, RateSearch, REST_MS, WARM_UP_S, type Lane, type Probe } from './saturation-probe.js';
import { loopbackShapingBlocker, shapeUplinks, uplinkLabel } from './uplink-shaping.js';

export type { Probe } from './saturation-probe.js';

export interface SaturationResult {
  readonly variant: Dissemination;
  readonly payloadBytes: number;
  /** Every daemon's P2P egress cap in Mbit/s; 0 = unshaped loopback. */
  readonly uplinkMbit: number;
  readonly probes: readonly Probe[];
  /** The highest rate that passed, or null when none did. */
  readonly sustained: number | null;
  /** The lowest rate that failed, or null when none did (the search hit its maximum rate). */
  readonly failedAt: number | null;
  readonly seconds: number;
  /**
   * Each node's eager links when the search ended (tree mode, §4.8 item 1; null in flood
   * mode, where every link pushes): shows how evenly the tree spreads the forwarding.
   */
  readonly eagerLinks: readonly number[] | null;
}

type Progress = (line: string) => void;

export async function runSaturation(
  options: BenchOptions,
  progress: Progress,
): Promise<{ results: SaturationResult[]; notes: string[] }> {
  const notes: string[] = [];
  const gap = disseminationUnsupported();
  const wanted = (['flood', 'tree'] as const).filter((m) => options.variants.includes(m));
  if (gap !== null && wanted.includes('tree')) notes.push(`tree: ${gap}`);
  const modes = wanted.filter((m) => m !== 'tree' || gap === null);
  const { nodes, uplinksMbit } = options.saturation;
  // Before anything is measured: a foreign root qdisc on lo stops the bench here.
  if (uplinksMbit.some((mbit) => mbit > 0)) await loopbackShapingBlocker();
  // Both address blocks, whichever modes run: a lane's network may be formed afresh at any time.
  const hosts = [0, 1].flatMap((block) => Array.from({ length: nodes }, (_, i) => hostIn(block)(i)));
  const results: SaturationResult[] = [];
  for (const uplinkMbit of uplinksMbit) {
    if (uplinkMbit === 0) {
      results.push(...(await searchEverySize(modes, 0, options, progress)));
      continue;
    }
    const label = uplinkLabel(uplinkMbit);
    const shaping = await shapeUplinks(uplinkMbit, hosts, P2P_PORT);
    if (typeof shaping === 'string') {
      notes.push(`uplink ${label}: not measured, ${shaping}`);
      progress(`uplink ${label}: skipped, ${shaping}`);
      continue;
    }
    progress(`uplink ${label}: P2P egress of ${hosts.length} hosts (${hosts[0]}…) capped (tc htb on lo)`);
    try {
      results.push(...(await searchEverySize(modes, uplinkMbit, options, progress)));
      const { bytes, packets, dropped } = await shaping.traffic();
      progress(
        `uplink ${label}: the capped classes sent ${(bytes / 1e6).toFixed(1)} MB (${packets} packets, ${dropped} dropped)`,
      );
      if (bytes === 0) notes.push(`uplink ${label}: the shaping matched no P2P traffic, so these rows are not shaped`);
    } finally {
      await shaping.remove();
      progress(`uplink ${label}: shaping removed from lo`);
    }
  }
  return { results, notes };
}

/** Per item size: a network per mode and their searches taking turns. */
async function searchEverySize(
  modes: readonly Dissemination[],
  uplinkMbit: number,
  options: BenchOptions,
  progress: Progress,
): Promise<SaturationResult[]> {
  const { nodes, degree, sizes, startRate, maxRate, budgetSeconds } = options.saturation;
  const results: SaturationResult[] = [];
  for (const payloadBytes of sizes) {
    const lanes: Lane[] = [];
    try {
      for (const [block, variant] of modes.entries()) {
        const uplink = uplinkMbit === 0 ? '' : ` uplink ${uplinkLabel(uplinkMbit)}`;
        const name = `saturation ${variant} processes N=${nodes} degree=${degree} ${payloadBytes} B${uplink}`;
        const settings = { nodes, degree, powDifficulty: options.powDifficulty, dissemination: variant };
        const workloadOptions = {
          items: 1,
          intervalMs: 1,
          payloadBytes,
          deliveryTimeoutMs: 5_000,
          random: seededRandom(options.seed),
        };
        // A fresh network is slow at first (the daemons' code not yet optimised): a few seconds
        // of traffic at the start rate, not judged, before any probe.
        const form = async (): Promise<FormedNetwork> => {
          const formed = await formNetwork(
            'processes',
            { ...settings, addressBlock: block },
            workloadOptions,
            name,
            progress,
          );
          progress(`${name}: ${WARM_UP_S} s of unjudged traffic at ${startRate} items/s`);
          const items = Math.round(startRate * WARM_UP_S);
          await formed.workload.run(() => undefined, { items, intervalMs: 1000 / startRate, payloadBytes });
          await new Promise((resolve) => setTimeout(resolve, REST_MS));
          return formed;
        };
        const search = new RateSearch(startRate, maxRate);
        lanes.push({ variant, name, search, probes: [], network: await form(), form, spent: 0 });
      }
      const open = (lane: Lane): boolean => lane.search.next !== null && lane.spent < budgetSeconds;
      while (lanes.some(open)) {
        for (const lane of lanes.filter(open)) {
          const started = performance.now();
          const rate = lane.search.next!;
          lane.search.record(rate, await probe(lane, rate, payloadBytes, options, progress));
          lane.spent += (performance.now() - started) / 1000;
        }
      }
      for (const { variant, name, search, probes, spent, network } of lanes) {
        if (spent >= budgetSeconds) progress(`${name}: the search's budget of ${budgetSeconds} s is spent`);
        const { low, high } = search;
        progress(
          `${name}: sustained ${low === null ? 'no rate' : `${low.toFixed(0)} items/s`}${high === null ? '' : `, failed at ${high.toFixed(0)}`} (probes took ${spent.toFixed(0)} s)`,
        );
        const eagerLinks =
          variant === 'tree' ? (await network.cluster.counters()).map((counters) => counters.eagerLinks ?? 0) : null;
        results.push({
          variant,
          payloadBytes,
          uplinkMbit,
          probes,
          sustained: low,
          failedAt: high,
          seconds: spent,
          eagerLinks,
        });
      }
    } finally {
      for (const lane of lanes) {
        lane.network.workload.close();
        await lane.network.cluster.close();
      }
    }
  }
  return results;
}
