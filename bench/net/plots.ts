/** bench:net's SVG plots (bench/net/svg-plot.ts), written into docs/img/ or a scratch folder. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChurnResult } from './churn.js';
import type { ClusterMode } from './cluster.js';
import { variantLabel } from './dissemination.js';
import type { SaturationResult } from './saturation.js';
import { ascending, cdfPoints } from './stats.js';
import type { ConfigSummary } from './summary.js';
import { linePlotSvg, type Series } from './svg-plot.js';
import { uplinkLabel } from './uplink-shaping.js';

const VARIANT_COLOURS: Record<string, string> = {
  flood: '#1f77b4',
  tree: '#2ca02c',
  'gossipsub D=6 (default)': '#d62728',
  'gossipsub D=8': '#9467bd',
};
const colourOf = (label: string): string => VARIANT_COLOURS[label] ?? '#555555';
const DASHES = [undefined, '8 4', '2 3', '12 3 2 3'];

function write(directory: string, files: Record<string, string>): string[] {
  mkdirSync(directory, { recursive: true });
  for (const [name, svg] of Object.entries(files)) writeFileSync(join(directory, name), svg);
  return Object.keys(files);
}

/** Last-delivery CDFs (one plot per cluster mode, at its largest N) and duplicates by N. */
export function writeComparePlots(directory: string, summaries: readonly ConfigSummary[]): string[] {
  const files: Record<string, string> = {};
  for (const mode of ['in-process', 'processes'] as ClusterMode[]) {
    const ofMode = summaries.filter((s) => s.mode === mode);
    if (ofMode.length === 0) continue;
    const nodes = Math.max(...ofMode.map((s) => s.nodes));
    const shown = ofMode.filter((s) => s.nodes === nodes);
    const degrees = [...new Set(shown.map((s) => s.degree))].sort((a, b) => a - b);
    const lasts = shown.map((s) =>
      ascending(s.latenciesByItem.filter((l) => l.length === s.subscribers).map((l) => l[l.length - 1]!)),
    );
    const smallest = Math.max(0.1, Math.min(...lasts.map((l) => l[0] ?? Infinity)));
    const largest = Math.max(smallest * 10, ...lasts.map((l) => l.at(-1) ?? 0));
    files[`net-last-delivery-${mode}.svg`] = linePlotSvg({
      title: `Time until an item reached every subscriber, ${mode}, N=${nodes} (CDF over items)`,
      xLabel: 'ms from announce to last delivery (log scale)',
      yLabel: 'fraction of items',
      xScale: 'log',
      xRange: [smallest, largest],
      series: shown.map((s, i): Series => ({
        label: `${variantLabel(s)} d=${s.degree}`,
        color: colourOf(variantLabel(s)),
        ...(DASHES[degrees.indexOf(s.degree)] ? { dash: DASHES[degrees.indexOf(s.degree)]! } : {}),
        isStep: true,
        points: cdfPoints(lasts[i]!, lasts[i]!.length / s.items),
      })),
    });
  }
  const groups = new Map<string, ConfigSummary[]>();
  for (const s of summaries) {
    const key = `${variantLabel(s)} d=${s.degree}${s.mode === 'processes' ? ' procs' : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const highest = Math.max(1, ...summaries.map((s) => s.duplicatesPerNodeItem).filter(Number.isFinite));
  const allDegrees = [...new Set(summaries.map((s) => s.degree))].sort((a, b) => a - b);
  files['net-duplicates.svg'] = linePlotSvg({
    title: 'Duplicate payload copies per node per item',
    xLabel: 'nodes N',
    yLabel: 'duplicates per node per item',
    xRange: [0, Math.max(10, ...summaries.map((s) => s.nodes)) + 5],
    yRange: [0, Math.ceil(highest * 1.1)],
    series: [...groups].map(([label, runs]): Series => {
      const first = runs[0]!;
      const dash = DASHES[allDegrees.indexOf(first.degree) + (first.mode === 'processes' ? 2 : 0)];
      return {
        label,
        color: colourOf(variantLabel(first)),
        ...(dash ? { dash } : {}),
        points: [...runs].sort((a, b) => a.nodes - b.nodes).map((s) => [s.nodes, s.duplicatesPerNodeItem] as const),
      };
    }),
  });
  return write(directory, files);
}

/** Last-delivery p99 of every probe against the offered rate, per mode, item size and uplink. */
export function writeSaturationPlot(
  directory: string,
  results: readonly SaturationResult[],
  p99BoundMs: number,
): string[] {
  if (results.length === 0) return [];
  const rates = results.flatMap((r) => r.probes.map((p) => p.rate));
  const [low, high] = [Math.min(...rates), Math.max(...rates)];
  // One dash per (size, uplink), in the order they ran; the colour tells the mode.
  const kindOf = (r: SaturationResult): string =>
    `${r.payloadBytes} B${r.uplinkMbit === 0 ? '' : `, ${uplinkLabel(r.uplinkMbit)} uplink`}`;
  const kinds = [...new Set(results.map(kindOf))];
  const ceiling = 4 * p99BoundMs;
  const series = results.map((r): Series => {
    const kind = kindOf(r);
    const dash = DASHES[kinds.indexOf(kind) % DASHES.length];
    return {
      label: `${r.variant} ${kind}`,
      color: colourOf(r.variant),
      ...(dash ? { dash } : {}),
      // A probe that lost items is drawn at the ceiling: it failed whatever its p99.
      points: [...r.probes]
        .sort((a, b) => a.rate - b.rate)
        .map(
          (p) =>
            [
              p.rate,
              p.deliveryRatio < 1 || !Number.isFinite(p.lastP99) ? ceiling : Math.min(ceiling, p.lastP99),
            ] as const,
        ),
    };
  });
  series.push({
    label: `bound ${p99BoundMs} ms`,
    color: '#999999',
    dash: '4 4',
    points: [
      [low, p99BoundMs],
      [high, p99BoundMs],
    ],
  });
  return write(directory, {
    'net-saturation.svg': linePlotSvg({
      title: 'Saturation: last-delivery p99 by offered rate (lost items drawn at the top)',
      xLabel: 'items per second offered (log scale)',
      yLabel: 'last-delivery p99 ms',
      xScale: 'log',
      xRange: [low, high],
      yRange: [0, ceiling],
      series,
    }),
  });
}

/** Per post-kill item: the time until it reached every survivor, against its announce time. */
export function writeChurnPlot(directory: string, results: readonly ChurnResult[]): string[] {
  if (results.length === 0) return [];
  const items = results.flatMap((r) => r.postKillItems);
  const longest = Math.max(...items.map((i) => i.announcedAfterKillS), 1);
  const slowest = Math.max(...items.map((i) => i.lastMs).filter(Number.isFinite), 10);
  const ceiling = Math.ceil(slowest * 1.1);
  return write(directory, {
    'net-churn.svg': linePlotSvg({
      title: `Churn: ${results[0]!.killed.length} of ${results[0]!.nodes} killed at 0 (items missing a survivor at the top)`,
      xLabel: 'seconds from the kill to the announce',
      yLabel: 'ms until every survivor had the item',
      xRange: [0, longest],
      yRange: [0, ceiling],
      series: results.map((r): Series => ({
        label: r.variant,
        color: colourOf(r.variant),
        points: r.postKillItems.map(
          (i) => [i.announcedAfterKillS, Number.isFinite(i.lastMs) ? i.lastMs : ceiling] as const,
        ),
      })),
    }),
  });
}
