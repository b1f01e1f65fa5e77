/**
 * Cost: what one item costs the network's daemons, by dissemination mode and degree, to show
 * where the daemons' CPU goes (docs/net-bench.md, Results: cost). Per item size and (mode,
 * degree): a fresh network of N daemon processes, 500 warm-up items at 100 items/s (a new
 * daemon's code is slow until optimised), a rest, then a fixed rate for a fixed time between
 * two scrapes of every daemon's counters. Networks run one at a time, alternating address
 * blocks (127.0.1.x, 127.0.2.x) so that a network never reuses the ports the last one just closed.
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../../test/support/seeded-random.js';
import { totals, type NodeCounters } from './cluster.js';
import { disseminationUnsupported, PAYLOAD_TYPE, type Dissemination } from './dissemination.js';
import { formNetwork, type FormedNetwork } from './form-network.js';
import type { BenchOptions } from './options.js';
import { ascending, percentile } from './stats.js';
import { daemonCosts } from './summary.js';

export interface CostRow {
  readonly variant: Dissemination;
  readonly degree: number;
  readonly nodes: number;
  readonly payloadBytes: number;
  /** Items per second planned, and what the bench process managed to announce. */
  readonly rate: number;
  readonly achievedRate: number;
  readonly items: number;
  /** Subscribers the warm-up item reached after forming: N when connected. */
  readonly warmUpReach: number;
  /** Active P2P links per node at the end, mean. */
  readonly linksPerNode: number;
  /** Copies of an item received from peers (first + duplicates), per node per item. */
  readonly copiesPerNodeItem: number;
  readonly duplicatesPerNodeItem: number;
  /** The daemons' CPU ms (`process_cpu_seconds_total`) per item, summed over every node. */
  readonly daemonCpuMsPerItem: number;
  /** The same per node, in node order (the node that forwards most shows here). */
  readonly daemonCpuMsPerItemByNode: readonly number[];
  /** This process (the API clients: N NOTIFICATIONs and VALIDATIONs per item) CPU ms per item. */
  readonly benchCpuMsPerItem: number;
  /** P2P frames received per item over every node, all types; and those that are not ANNOUNCE. */
  readonly p2pFramesPerItem: number;
  readonly controlFramesPerItem: number;
  readonly deliveryRatio: number;
  /** ms from announce to an item's last delivery, p99 over complete items; NaN when none. */
  readonly lastP99: number;
  /** Frames dropped by a full receive queue plus items dropped by the handler. */
  readonly drops: number;
  /** Eager links per node at the end, in node order (flooding: every link); null when not reported. */
  readonly eagerLinks: readonly number[] | null;
  readonly loadAverage: number;
}

const WARM_UP_ITEMS = 500;
const WARM_UP_RATE = 100;
const REST_BEFORE_MS = 2_000;
const REST_AFTER_MS = 1_000;
const DELIVERY_TIMEOUT_MS = 5_000;

/** The setup in one sentence, for the results section. */
export function costSetup(options: BenchOptions): string {
  const { nodes, rate, seconds } = options.cost;
  return (
    `${nodes} daemon processes per network, one network at a time; after ${WARM_UP_ITEMS} warm-up items at ` +
    `${WARM_UP_RATE} items/s and ${REST_BEFORE_MS / 1000} s of rest, ${rate} items/s for ${seconds} s at random ` +
    `nodes, the daemons' counters scraped before and ${REST_AFTER_MS / 1000} s after.`
  );
}

export async function runCost(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<{ rows: CostRow[]; notes: string[] }> {
  const notes: string[] = [];
  const { sizes, floodDegrees, treeDegrees } = options.cost;
  const gap = disseminationUnsupported();
  const wantTree = options.variants.includes('tree');
  if (gap !== null && wantTree) notes.push(`tree: ${gap}`);
  const plan: [Dissemination, number][] = [
    ...(options.variants.includes('flood') ? floodDegrees.map((d): [Dissemination, number] => ['flood', d]) : []),
    ...(wantTree && gap === null ? treeDegrees.map((d): [Dissemination, number] => ['tree', d]) : []),
  ];
  const rows: CostRow[] = [];
  let networks = 0;
  for (const payloadBytes of sizes)
    for (const [variant, degree] of plan)
      rows.push(await measure(variant, degree, payloadBytes, networks++ % 2, options, progress));
  return { rows, notes };
}

async function measure(
  variant: Dissemination,
  degree: number,
  payloadBytes: number,
  addressBlock: number,
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<CostRow> {
  const { nodes, rate, seconds } = options.cost;
  const name = `cost ${variant} processes N=${nodes} degree=${degree} ${payloadBytes} B`;
  const items = Math.max(2, Math.round(rate * seconds));
  const network: FormedNetwork = await formNetwork(
    'processes',
    { nodes, degree, powDifficulty: options.powDifficulty, dissemination: variant, addressBlock },
    {
      items,
      intervalMs: 1000 / rate,
      payloadBytes,
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
      random: seededRandom(options.seed),
    },
    name,
    progress,
  );
  try {
    const { cluster, workload } = network;
    progress(`${name}: ${WARM_UP_ITEMS} warm-up items at ${WARM_UP_RATE} items/s`);
    await workload.run(() => undefined, { items: WARM_UP_ITEMS, intervalMs: 1000 / WARM_UP_RATE });
    await sleep(REST_BEFORE_MS);
    const before = await cluster.counters();
    const benchBefore = process.cpuUsage();
    progress(`${name}: ${items} items at ${rate} items/s for ${seconds} s`);
    const result = await workload.run(() => undefined);
    await sleep(REST_AFTER_MS);
    const bench = process.cpuUsage(benchBefore);
    const after = await cluster.counters();
    const complete = result.latenciesByItem.filter((l) => l.length === result.subscribers);
    const row: CostRow = {
      variant,
      degree,
      nodes,
      payloadBytes,
      rate,
      achievedRate: result.achievedRate,
      items,
      warmUpReach: network.reach,
      ...countersDelta(before, after, items),
      benchCpuMsPerItem: (bench.user + bench.system) / 1000 / items,
      deliveryRatio: result.deliveries / (result.items * result.subscribers),
      lastP99: percentile(ascending(complete.map((l) => l[l.length - 1]!)), 99),
      loadAverage: loadavg()[0]!,
    };
    progress(`${name}: ${describe(row)}`);
    return row;
  } finally {
    network.workload.close();
    await network.cluster.close();
  }
}

type CounterFields =
  | 'linksPerNode'
  | 'copiesPerNodeItem'
  | 'duplicatesPerNodeItem'
  | 'daemonCpuMsPerItem'
  | 'daemonCpuMsPerItemByNode'
  | 'p2pFramesPerItem'
  | 'controlFramesPerItem'
  | 'drops'
  | 'eagerLinks';

/**
 * What the daemons' counters say about the run between two scrapes (same nodes, same order):
 * the comparison's costs (summary.ts) plus each node's CPU, every P2P frame and the eager links.
 */
function countersDelta(
  before: readonly NodeCounters[],
  after: readonly NodeCounters[],
  items: number,
): Pick<CostRow, CounterFields> {
  const costs = daemonCosts(after.length, items, before, after, 0);
  const payload = (counters: readonly NodeCounters[]): number => totals(counters).p2pFrames[PAYLOAD_TYPE]?.frames ?? 0;
  const eager = after.map((c) => c.eagerLinks);
  return {
    linksPerNode: costs.links.mean,
    copiesPerNodeItem: costs.copiesPerNodeItem,
    duplicatesPerNodeItem: costs.duplicatesPerNodeItem,
    daemonCpuMsPerItem: costs.networkCpuMsPerItem,
    daemonCpuMsPerItemByNode: after.map(
      (c, i) => (((c.cpuSeconds ?? 0) - (before[i]?.cpuSeconds ?? 0)) * 1000) / items,
    ),
    p2pFramesPerItem: costs.controlFramesPerItem + (payload(after) - payload(before)) / items,
    controlFramesPerItem: costs.controlFramesPerItem,
    drops: costs.framesDropped + costs.itemsDropped,
    eagerLinks: eager.every((e): e is number => e !== null) ? eager : null,
  };
}

function describe(row: CostRow): string {
  const p99 = Number.isFinite(row.lastP99) ? `${row.lastP99.toFixed(1)} ms` : '–';
  return (
    `copies/node/item ${row.copiesPerNodeItem.toFixed(2)}, daemon CPU ${row.daemonCpuMsPerItem.toFixed(2)} ms/item, ` +
    `bench CPU ${row.benchCpuMsPerItem.toFixed(2)} ms/item, P2P frames/item ${row.p2pFramesPerItem.toFixed(1)}, ` +
    `delivery ${(row.deliveryRatio * 100).toFixed(2)} %, last p99 ${p99}, announced ${row.achievedRate.toFixed(0)} items/s` +
    `${row.variant === 'tree' && row.eagerLinks ? `, eager links per node ${row.eagerLinks.join(' ')}` : ''}, load average ${row.loadAverage.toFixed(1)}`
  );
}
