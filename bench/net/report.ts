/** bench:net output: markdown tables (console and docs/net-bench.md) and the doc's sections. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { variantLabel } from './dissemination.js';
import type { ChurnResult } from './churn.js';
import type { SaturationResult } from './saturation.js';
import type { ConfigSummary } from './summary.js';
import { uplinkLabel } from './uplink-shaping.js';

const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '–');
const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

const identity = (s: ConfigSummary): string[] => [s.mode, variantLabel(s), String(s.nodes), String(s.degree)];

/** Two markdown tables: spreading (delivery, latency) and cost (copies, duplicates, control, CPU). */
export function compareTables(summaries: readonly ConfigSummary[]): string {
  const spreading = table(
    [
      'cluster',
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
      (s.warmUpReach === s.nodes ? 'connected' : `PARTITIONED (warm-up reached ${s.warmUpReach}/${s.nodes})`) +
        (s.formationAttempts > 1 ? `, try ${s.formationAttempts}` : '') +
        (s.note ? `; ${s.note}` : ''),
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
      'cluster',
      'mode',
      'N',
      'degree',
      'copies/node/item',
      'flood predicts',
      'duplicates/node/item',
      'control frames/item',
      'control B/item',
      'payload B/item',
      'control by kind, per item',
      'network CPU ms/item',
      'drops',
      'load avg',
    ],
    summaries.map((s) => [
      ...identity(s),
      fixed(s.copiesPerNodeItem),
      fixed(s.predictedCopiesPerNodeItem),
      fixed(s.duplicatesPerNodeItem),
      fixed(s.controlFramesPerItem, 1),
      fixed(s.controlBytesPerItem, 0),
      fixed(s.payloadBytesPerItem, 0),
      Object.entries(s.controlByName)
        .map(([name, perItem]) => `${name} ${perItem.toFixed(perItem < 10 ? 2 : 0)}`)
        .join(', ') || '–',
      fixed(s.networkCpuMsPerItem, 1),
      String(s.framesDropped + s.itemsDropped),
      fixed(s.benchProcess.loadAverage, 1),
    ]),
  );
  return `${spreading}\n\n${cost}`;
}

/** Tree mode's targets (docs/net-bench.md, reading the numbers), checked against flooding in the same run (when both ran). */
export function compareVerdict(summaries: readonly ConfigSummary[]): string[] {
  const lines = [
    `100 % delivery: ${summaries.every((s) => s.deliveryRatio === 1) ? 'met in every configuration' : `NOT met in ${summaries.filter((s) => s.deliveryRatio < 1).length} configuration(s)`}`,
  ];
  for (const tree of summaries.filter((s) => s.variant === 'tree' && s.degree === 8 && s.nodes >= 50)) {
    const flood = summaries.find(
      (s) => s.variant === 'flood' && s.mode === tree.mode && s.nodes === tree.nodes && s.degree === tree.degree,
    );
    lines.push(
      `tree at N=${tree.nodes} degree 8 (${tree.mode}): duplicates/node/item ${tree.duplicatesPerNodeItem.toFixed(2)} (target ≤ 0.3: ${tree.duplicatesPerNodeItem <= 0.3 ? 'met' : 'NOT met'})` +
        (flood
          ? `; last p99 ${tree.last.p99.toFixed(1)} ms vs flooding's ${flood.last.p99.toFixed(1)} ms (target ≤ 1.5×: ${tree.last.p99 <= 1.5 * flood.last.p99 ? 'met' : 'NOT met'})`
          : ''),
    );
  }
  return lines;
}

/** Replaces the section between `<!-- bench:net NAME start … -->` and `<!-- bench:net NAME end -->`. */
export function updateDoc(path: string, name: string, section: string): boolean {
  if (!existsSync(path)) return false;
  const text = readFileSync(path, 'utf8');
  const startTag = `<!-- bench:net ${name} start (written by npm run bench:net) -->`;
  const endTag = `<!-- bench:net ${name} end -->`;
  const start = text.indexOf(startTag);
  const end = text.indexOf(endTag);
  if (start < 0 || end < start) return false;
  writeFileSync(path, `${text.slice(0, start + startTag.length)}\n${section}\n${text.slice(end)}`);
  return true;
}

/** Flooding's result on the same item size and uplink as `result`. */
const floodBeside = (results: readonly SaturationResult[], result: SaturationResult): SaturationResult | undefined =>
  results.find(
    (r) => r.variant === 'flood' && r.payloadBytes === result.payloadBytes && r.uplinkMbit === result.uplinkMbit,
  );

/** One row per search (mode, size, uplink) and the probes that decided it. */
export function saturationTable(results: readonly SaturationResult[], p99BoundMs: number, seconds: number): string {
  return table(
    [
      'mode',
      'item size',
      'uplink per daemon',
      `sustained items/s (${seconds} s, 100 %, last p99 ≤ ${p99BoundMs} ms)`,
      'failed at',
      'vs flood',
      'probes (items/s: ✓ or why not; bench loop busy)',
      'eager links per node at the end',
      'search s',
    ],
    results.map((r) => {
      const base = floodBeside(results, r)?.sustained ?? null;
      return [
        r.variant,
        `${r.payloadBytes} B`,
        uplinkLabel(r.uplinkMbit),
        r.sustained === null ? 'none' : r.sustained.toFixed(0),
        r.failedAt === null ? '–' : r.failedAt.toFixed(0),
        r.sustained !== null && base ? `${(r.sustained / base).toFixed(2)} ×` : '–',
        r.probes
          .map(
            (p) =>
              `${p.rate.toFixed(0)}: ${p.passed ? '✓' : p.failure} (bench ${(p.benchBusy * 100).toFixed(0)} %${p.pulledIds > 0 ? `, ${p.pulledIds} ids pulled` : ''})`,
          )
          .join('; '),
        r.eagerLinks === null ? '–' : r.eagerLinks.join(' '),
        r.seconds.toFixed(0),
      ];
    }),
  );
}

export function churnTable(results: readonly ChurnResult[]): string {
  const seconds = (value: number | null): string => (value === null ? 'not within the run' : value.toFixed(2));
  const ms = (value: number): string => (Number.isFinite(value) ? value.toFixed(1) : '–');
  return table(
    [
      'mode',
      'N',
      'killed',
      'post-kill items',
      'reached every survivor',
      'repair s (all reached again)',
      'back to normal s (last delivery ≤ bound)',
      'last p99 ms before / after the kill',
      'links/survivor after',
      'load avg',
    ],
    results.map((r) => [
      r.variant,
      String(r.nodes),
      `${r.killed.length} (${r.killed.join(' ')})`,
      String(r.postKillItems.length),
      `${(r.completeShare * 100).toFixed(1)} %`,
      seconds(r.repairSeconds),
      `${seconds(r.normalSeconds)} (bound ${r.normalBoundMs.toFixed(0)} ms)`,
      `${ms(r.preKillLastP99)} / ${ms(r.lastP99)}`,
      r.survivorLinks.toFixed(1),
      r.loadAverage.toFixed(1),
    ]),
  );
}

/** Tree mode's saturation target: tree sustains at least twice flooding's rate, per item size and uplink. */
export function saturationVerdict(results: readonly SaturationResult[]): string[] {
  return results
    .filter((r) => r.variant === 'tree')
    .map((tree) => {
      const flood = floodBeside(results, tree);
      const what = `tree ${tree.payloadBytes} B, ${tree.uplinkMbit === 0 ? 'unshaped' : `${uplinkLabel(tree.uplinkMbit)} uplink`}`;
      if (!flood?.sustained || tree.sustained === null) return `${what}: no rate to compare`;
      const ratio = tree.sustained / flood.sustained;
      return `${what}: ${ratio.toPrecision(4)} × flooding's rate (target ≥ 2 ×: ${ratio >= 2 ? 'met' : 'NOT met'})`;
    });
}

/** The churn target: every post-kill item reaches every survivor. */
export function churnVerdict(results: readonly ChurnResult[]): string[] {
  return results.map(
    (r) =>
      `${r.variant}: ${(r.completeShare * 100).toFixed(1)} % of post-kill items reached every survivor (target 100 %: ${r.completeShare === 1 ? 'met' : 'NOT met'})`,
  );
}
