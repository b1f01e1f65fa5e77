/** bench:net output: the results table (console and docs/net-bench.md) and the SVG plots. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ascending, cdfOnGrid, cdfPoints, grid } from './stats.js';

/** Points per line in the delivery plots (thousands of deliveries per configuration). */
const PLOT_POINTS = 400;
import type { ConfigSummary } from './summary.js';
import { linePlotSvg, type Series } from './svg-plot.js';

export const RESULTS_START = '<!-- bench:net results start (written by npm run bench:net) -->';
export const RESULTS_END = '<!-- bench:net results end -->';

/** GossipSub's reported duplicates per node per item at mesh degree 8. */
export const GOSSIPSUB_DUPLICATES_AT_D8 = 3;

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '–');

/** Two markdown tables: spreading (delivery, latency) and cost (copies, duplicates, CPU). */
export function resultsTable(summaries: readonly ConfigSummary[]): string {
  const identity = (s: ConfigSummary): string[] => [s.mode, String(s.nodes), String(s.degree)];
  const spreading = table(
    [
      'mode',
      'N',
      'degree',
      'overlay',
      'links/node mean (min–max)',
      'delivery',
      'last p50 ms',
      'last p99 ms',
      'each p50 ms',
      'each p99 ms',
    ],
    summaries.map((s) => [
      ...identity(s),
      (s.warmUpReach === s.nodes ? 'connected' : `PARTITIONED (${s.warmUpReach}/${s.nodes} reachable from node 0)`) +
        (s.formationAttempts > 1 ? `, try ${s.formationAttempts}` : ''),
      `${s.links.mean.toFixed(1)} (${s.links.min}–${s.links.max})`,
      `${(s.deliveryRatio * 100).toFixed(2)} %${s.repeatedNotifications ? ` (+${s.repeatedNotifications} repeated)` : ''}`,
      ms(s.last.p50),
      ms(s.last.p99),
      ms(s.each.p50),
      ms(s.each.p99),
    ]),
  );
  const cost = table(
    [
      'mode',
      'N',
      'degree',
      'copies/node/item',
      'predicted (2E−N+1)/N',
      'duplicates/node/item',
      'drops',
      'bench loop busy',
      'bench CPU ms/item',
      'longest loop stall ms',
      'load avg (1 min)',
    ],
    summaries.map((s) => [
      ...identity(s),
      s.copiesPerNodeItem.toFixed(2),
      s.predictedCopiesPerNodeItem.toFixed(2),
      s.duplicatesPerNodeItem.toFixed(2),
      String(s.framesDropped + s.itemsDropped),
      `${(s.benchProcess.eventLoopUtilisation * 100).toFixed(0)} %`,
      s.benchProcess.cpuMsPerItem.toFixed(1),
      s.benchProcess.maxLoopDelayMs.toFixed(0),
      s.benchProcess.loadAverage.toFixed(1),
    ]),
  );
  return `${spreading}\n\n${cost}`;
}

function table(header: string[], rows: string[][]): string {
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const COLOURS: Record<string, string> = { '10': '#1f77b4', '30': '#ff7f0e', '50': '#2ca02c' };

function styleOf(s: ConfigSummary): { color: string; dash?: string; label: string } {
  const processes = s.mode === 'processes';
  return {
    color: processes ? '#9467bd' : (COLOURS[String(s.nodes)] ?? '#555555'),
    ...(s.degree >= 8 ? { dash: '2 3' } : s.degree >= 6 ? { dash: '8 4' } : {}),
    label: `N=${s.nodes} d=${s.degree}${processes ? ' procs' : ''}`,
  };
}

/** Writes the plots into `directory`; returns their file names. */
export function writePlots(directory: string, summaries: readonly ConfigSummary[]): string[] {
  mkdirSync(directory, { recursive: true });
  const eachDelivery = (s: ConfigSummary): number[] => ascending(s.latenciesByItem.flat());
  const lastDelivery = (s: ConfigSummary): number[] =>
    ascending(s.latenciesByItem.filter((l) => l.length === s.nodes).map((l) => l[l.length - 1]!));
  // Time axes end at twice the largest per-delivery p99 (the slowest last deliveries beyond it are in the tables).
  const longest = Math.min(
    Math.max(...summaries.map((s) => s.last.max).filter(Number.isFinite), 1),
    2 * Math.max(...summaries.map((s) => s.each.p99).filter(Number.isFinite), 1),
  );
  const shortest = Math.max(0.05, Math.min(...summaries.map((s) => eachDelivery(s)[0] ?? 1)));
  const linearGrid = grid(0, Math.ceil(longest), PLOT_POINTS, 'linear');
  const logGrid = grid(shortest, Math.ceil(longest), PLOT_POINTS, 'log');
  const files: Record<string, string> = {
    // Mean over items of the fraction of subscribers reached by time t; that equals the
    // delivery ratio times the CDF of all deliveries' latencies.
    'net-dissemination.svg': linePlotSvg({
      title: 'Dissemination: fraction of subscribers reached after announce (mean over items)',
      xLabel: 'ms since announce',
      yLabel: 'fraction of subscribers reached',
      xRange: [0, Math.ceil(longest)],
      series: summaries.map((s): Series => ({
        ...styleOf(s),
        points: cdfOnGrid(eachDelivery(s), linearGrid, s.deliveryRatio),
      })),
    }),
    'net-latency-cdf.svg': linePlotSvg({
      title: 'Latency of each delivery (CDF)',
      xLabel: 'ms from announce to delivery (log scale)',
      yLabel: 'fraction of deliveries',
      xScale: 'log',
      xRange: [shortest, Math.ceil(longest)],
      series: summaries.map((s): Series => ({ ...styleOf(s), points: cdfOnGrid(eachDelivery(s), logGrid) })),
    }),
    'net-last-delivery-cdf.svg': linePlotSvg({
      title: 'Time until an item reached every subscriber (CDF over items)',
      xLabel: 'ms from announce to last delivery',
      yLabel: 'fraction of items',
      xRange: [0, Math.ceil(longest)],
      series: summaries.map((s): Series => ({ ...styleOf(s), isStep: true, points: cdfPoints(lastDelivery(s)) })),
    }),
  };
  for (const [name, svg] of Object.entries(files)) writeFileSync(join(directory, name), svg);
  return Object.keys(files);
}

/** Replaces the results section of the doc (between the markers); false when the doc has none. */
export function updateDoc(path: string, section: string): boolean {
  if (!existsSync(path)) return false;
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(RESULTS_START);
  const end = text.indexOf(RESULTS_END);
  if (start < 0 || end < start) return false;
  writeFileSync(path, `${text.slice(0, start + RESULTS_START.length)}\n${section}\n${text.slice(end)}`);
  return true;
}
