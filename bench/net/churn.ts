/**
 * Churn: a share of an N-process network SIGKILLed at once while items flow. Items announced
 * after the kill (at survivors) are checked at every survivor: the share that reached all of
 * them, and how long repair took: from the kill until the first item from which on every item
 * reached every survivor.
 */
import { loadavg } from 'node:os';
import { seededRandom } from '../../test/support/seeded-random.js';
import { disseminationUnsupported, type Dissemination } from './dissemination.js';
import { formNetwork } from './form-network.js';
import type { BenchOptions } from './options.js';
import { ascending, percentile } from './stats.js';

export interface ChurnItem {
  /** Seconds from the kill to the item's announce. */
  readonly announcedAfterKillS: number;
  /** Fraction of survivors the item reached. */
  readonly reached: number;
  /** ms to the last survivor's delivery, NaN when some survivor never got it. */
  readonly lastMs: number;
}

export interface ChurnResult {
  readonly variant: Dissemination;
  readonly nodes: number;
  readonly killed: readonly number[];
  readonly postKillItems: readonly ChurnItem[];
  /** Share of post-kill items that reached every survivor. */
  readonly completeShare: number;
  /** Seconds from the kill until items reach every survivor again; null: not within the run. */
  readonly repairSeconds: number | null;
  /** Last-delivery p99 (ms) of the complete post-kill items. */
  readonly lastP99: number;
  /** Last-delivery p99 (ms) at the survivors of the items announced before the kill. */
  readonly preKillLastP99: number;
  /** What counts as back to normal: a last delivery within max(2 × pre-kill p99, NORMAL_FLOOR_MS). */
  readonly normalBoundMs: number;
  /** Seconds from the kill until items again reach every survivor within normalBoundMs; null: not within the run. */
  readonly normalSeconds: number | null;
  /** Links per survivor at the end (mean). */
  readonly survivorLinks: number;
  readonly loadAverage: number;
}

/** The least last-delivery time that counts as normal after the kill, however fast items were before it. */
const NORMAL_FLOOR_MS = 100;

/** Seconds from the kill to the first item from which on every item satisfies `ok`; null when the last does not. */
function firstOfTheRest(items: readonly ChurnItem[], ok: (item: ChurnItem) => boolean): number | null {
  let last = items.length - 1;
  while (last >= 0 && ok(items[last]!)) last--;
  if (last < 0) return 0;
  return last + 1 < items.length ? items[last + 1]!.announcedAfterKillS : null;
}

export async function runChurn(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<{ results: ChurnResult[]; notes: string[] }> {
  const notes: string[] = [];
  const gap = disseminationUnsupported();
  const modes = (['flood', 'tree'] as const).filter((m) => options.variants.includes(m));
  if (gap !== null && modes.includes('tree')) notes.push(`tree: ${gap}`);
  const { nodes, degree, fraction, seconds, killAtSeconds, intervalMs } = options.churn;
  const results: ChurnResult[] = [];
  for (const variant of modes.filter((m) => m !== 'tree' || gap === null)) {
    const name = `churn ${variant} processes N=${nodes} degree=${degree}`;
    const settings = { nodes, degree, powDifficulty: options.powDifficulty, dissemination: variant };
    const items = Math.round((seconds * 1000) / intervalMs);
    const killItem = Math.min(items - 1, Math.round((killAtSeconds * 1000) / intervalMs));
    const random = seededRandom(options.seed);
    const workloadOptions = {
      items,
      intervalMs,
      payloadBytes: options.payloadBytes,
      deliveryTimeoutMs: 10_000,
      random,
    };
    const { cluster, workload } = await formNetwork('processes', settings, workloadOptions, name, progress);
    try {
      // The same victims for every mode: drawn from a generator of their own.
      const pick = seededRandom(options.seed + 7);
      const order = Array.from({ length: nodes }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(pick() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      const killed = order.slice(0, Math.round(fraction * nodes)).sort((a, b) => a - b);
      const survivors = order.slice(killed.length).sort((a, b) => a - b);
      let killAt = 0;
      const result = await workload.run((n) => progress(`${name}: announced ${n}/${items}`), {
        async beforeItem(n) {
          if (n !== killItem) return;
          progress(`${name}: killing ${killed.length} nodes (${killed.join(' ')}) with SIGKILL`);
          await Promise.all(killed.map((i) => cluster.kill(i)));
          killAt = performance.now();
          workload.setLive(survivors);
        },
      });
      const postKillItems = result.announcedAt.slice(killItem).map((at, k): ChurnItem => {
        const times = survivors.map((i) => result.deliveredAt[killItem + k]![i]);
        const got = times.filter((t): t is number => t !== undefined);
        return {
          announcedAfterKillS: (at - killAt) / 1000,
          reached: got.length / survivors.length,
          lastMs: got.length === survivors.length ? Math.max(...got) - at : Number.NaN,
        };
      });
      const repairSeconds = firstOfTheRest(postKillItems, (item) => item.reached === 1);
      const preKillLasts = result.latenciesByItem
        .slice(0, killItem)
        .filter((l) => l.length === survivors.length)
        .map((l) => l[l.length - 1]!);
      const preKillLastP99 = percentile(ascending(preKillLasts), 99);
      const normalBoundMs = Math.max(2 * (Number.isFinite(preKillLastP99) ? preKillLastP99 : 0), NORMAL_FLOOR_MS);
      const normalSeconds = firstOfTheRest(postKillItems, (item) => item.lastMs <= normalBoundMs);
      const links = (await cluster.counters()).map((c) => c.activeLinks);
      const churn: ChurnResult = {
        variant,
        nodes,
        killed,
        postKillItems,
        completeShare: postKillItems.filter((i) => i.reached === 1).length / postKillItems.length,
        repairSeconds,
        lastP99: percentile(ascending(postKillItems.map((i) => i.lastMs).filter(Number.isFinite)), 99),
        preKillLastP99,
        normalBoundMs,
        normalSeconds,
        survivorLinks: links.reduce((sum, n) => sum + n, 0) / Math.max(1, links.length),
        loadAverage: loadavg()[0]!,
      };
      progress(
        `${name}: ${(churn.completeShare * 100).toFixed(1)} % of ${postKillItems.length} post-kill items reached all ${survivors.length} survivors; ` +
          `repair ${repairSeconds === null ? 'NOT within the run' : `${repairSeconds.toFixed(2)} s`}, ` +
          `back to normal (last delivery ≤ ${normalBoundMs.toFixed(0)} ms) ${normalSeconds === null ? 'NOT within the run' : `after ${normalSeconds.toFixed(2)} s`}; load average ${churn.loadAverage.toFixed(1)}`,
      );
      results.push(churn);
    } finally {
      workload.close();
      await cluster.close();
    }
  }
  return { results, notes };
}
