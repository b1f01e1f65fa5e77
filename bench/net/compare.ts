/**
 * The side-by-side comparison: flood, tree and GossipSub on the same workload, per cluster
 * mode, N and degree. Runs of one (mode, N, degree) follow each other (similar machine load)
 * and share one seeded sequence of announcing nodes.
 */
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { seededRandom } from '../../test/support/seeded-random.js';
import type { ClusterMode } from './cluster.js';
import { disseminationUnsupported, variantLabel, type Dissemination, type Variant } from './dissemination.js';
import { formNetwork } from './form-network.js';
import { ensureGossipsubInstalled, measureGossipsub, TYPICAL_LINKS_PER_DEGREE } from './gossipsub-runner.js';
import type { BenchOptions } from './options.js';
import { combine, daemonCosts, type ConfigSummary } from './summary.js';

export interface CompareConfig {
  readonly mode: ClusterMode;
  readonly variant: Variant;
  readonly nodes: number;
  readonly degree: number;
  /** GossipSub's D (null: its default). */
  readonly meshDegree: number | null;
}

export function comparePlan(options: BenchOptions): { plan: CompareConfig[]; notes: string[] } {
  const notes: string[] = [];
  const treeGap = disseminationUnsupported();
  const variants = options.variants.filter((v) => v !== 'tree' || treeGap === null);
  if (treeGap !== null && options.variants.includes('tree')) notes.push(`tree: ${treeGap}`);
  const plan: CompareConfig[] = [];
  const groups: [ClusterMode, number[], number[]][] = [
    ['in-process', [...options.nodes], [...options.degrees]],
    ['processes', [...options.processNodes], [...options.processDegrees]],
  ];
  for (const [mode, nodeCounts, degrees] of groups)
    for (const nodes of nodeCounts)
      for (const degree of degrees)
        for (const variant of variants) {
          if (variant !== 'gossipsub') plan.push({ mode, variant, nodes, degree, meshDegree: null });
          else for (const d of options.gossipsubD) plan.push({ mode, variant, nodes, degree, meshDegree: d || null });
        }
  return { plan, notes };
}

export const describeSetup = (options: BenchOptions): string =>
  `${options.items} items per configuration, one every ${options.intervalMs} ms at a random node ` +
  `(seed ${options.seed}, the same sequence for every mode of one N and degree), ttl 0, ${options.payloadBytes}-byte data; ` +
  `pow_difficulty ${options.powDifficulty}; rotation off; max_peers = 2 × degree; ` +
  `one subscriber per node answering valid=1 at once. Node ${process.version}, ` +
  `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}.`;

/** Seed of one (mode, N, degree) group: its announcing nodes, and GossipSub's overlay. */
const groupSeed = (seed: number, c: CompareConfig): number =>
  (seed * 1_000_003 + c.nodes * 1_009 + c.degree * 17 + (c.mode === 'processes' ? 1 : 0)) >>> 0;

async function measureDaemons(
  c: CompareConfig & { variant: Dissemination },
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<ConfigSummary> {
  const name = `${c.mode} ${c.variant} N=${c.nodes} degree=${c.degree}`;
  const started = performance.now();
  const settings = {
    nodes: c.nodes,
    degree: c.degree,
    powDifficulty: options.powDifficulty,
    dissemination: c.variant,
  };
  const workloadOptions = {
    items: options.items,
    intervalMs: options.intervalMs,
    payloadBytes: options.payloadBytes,
    deliveryTimeoutMs: 15_000,
    random: seededRandom(groupSeed(options.seed, c)),
  };
  const { cluster, workload, attempts, reach } = await formNetwork(c.mode, settings, workloadOptions, name, progress);
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)); // the warm-up item's last duplicates
    const before = await cluster.counters();
    const runStarted = performance.now();
    const [loopBefore, cpuBefore] = [performance.eventLoopUtilization(), process.cpuUsage()];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const result = await workload.run((announced) => progress(`${name}: announced ${announced}/${options.items}`));
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    const benchCpuMs = (cpu.user + cpu.system) / 1000;
    const benchProcess = {
      eventLoopUtilisation: performance.eventLoopUtilization(loopBefore).utilization,
      cpuMsPerItem: benchCpuMs / options.items,
      maxLoopDelayMs: loopDelay.max / 1e6,
      loadAverage: loadavg()[0]!,
    };
    // Duplicates (and lazy repairs) still in flight.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await cluster.counters();
    const identity = {
      mode: c.mode,
      variant: c.variant,
      meshDegree: null,
      nodes: c.nodes,
      degree: c.degree,
      formationAttempts: attempts,
      warmUpReach: reach,
      benchProcess,
    };
    const costs = daemonCosts(c.nodes, options.items, before, after, benchCpuMs);
    const seconds = (performance.now() - runStarted) / 1000;
    const summary = combine(identity, result, costs, seconds);
    progress(`${name}: ${headline(summary)} (${((performance.now() - started) / 1000).toFixed(1)} s in all)`);
    return summary;
  } finally {
    workload.close();
    await cluster.close();
  }
}

export const headline = (s: ConfigSummary): string =>
  `delivery ${(s.deliveryRatio * 100).toFixed(2)} %, last p50/p99 ${s.last.p50.toFixed(1)}/${s.last.p99.toFixed(1)} ms, ` +
  `duplicates/node/item ${s.duplicatesPerNodeItem.toFixed(2)}, control ${s.controlFramesPerItem.toFixed(1)} frames ` +
  `${s.controlBytesPerItem.toFixed(0)} B per item, network CPU ${s.networkCpuMsPerItem.toFixed(1)} ms/item, ` +
  `load average ${s.benchProcess.loadAverage.toFixed(1)}`;

export async function runCompare(options: BenchOptions, progress: (line: string) => void): Promise<ConfigSummary[]> {
  const { plan } = comparePlan(options);
  const summaries: ConfigSummary[] = [];
  if (plan.some((c) => c.variant === 'gossipsub')) ensureGossipsubInstalled(progress);
  for (const [index, c] of plan.entries()) {
    progress(`compare ${index + 1}/${plan.length}: ${c.mode} ${variantLabel(c)} N=${c.nodes} degree=${c.degree}`);
    if (c.variant === 'gossipsub') {
      const seed = groupSeed(options.seed, c);
      // As many links per node as our overlay of this group had, when it was measured.
      const ours = summaries.find(
        (s) => s.variant !== 'gossipsub' && s.mode === c.mode && s.nodes === c.nodes && s.degree === c.degree,
      );
      const meanLinks = ours?.links.mean ?? TYPICAL_LINKS_PER_DEGREE * c.degree;
      const summary = await measureGossipsub(
        { ...c, items: options.items, intervalMs: options.intervalMs, payloadBytes: options.payloadBytes, meanLinks },
        { overlay: seededRandom(seed + 1), publishers: seededRandom(seed) },
        progress,
      );
      progress(`${c.mode} ${variantLabel(c)} N=${c.nodes}: ${headline(summary)}`);
      summaries.push(summary);
    } else {
      summaries.push(await measureDaemons({ ...c, variant: c.variant }, options, progress));
    }
  }
  return summaries;
}
