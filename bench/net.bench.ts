/**
 * Spreading over a loopback overlay (docs/protocol.md §4.4), flood vs tree dissemination vs
 * js-libp2p GossipSub, in four scenarios (docs/net-bench.md says what each measures):
 *
 * - compare: every mode on the same workload, N daemons in ONE process (N = 10, 30, 50) and
 *   as separate processes (N = 10, 30), degree 4 and 8; GossipSub with its default D and D = 8;
 * - saturation: the highest rate of 64 B and 1 KiB items 10 processes sustain, flood vs tree,
 *   on unshaped loopback and optionally with every daemon's P2P egress capped;
 * - cost: the daemons' CPU per item and the copies each node receives, flood at degree 2, 4, 8
 *   and tree at degree 8, at a fixed rate (why the tree's saturation is what it is);
 * - churn: 30 % of a 30-process network killed during traffic, flood vs tree.
 *
 * Prints the tables, writes the plots to docs/img/ and the results sections of docs/net-bench.md.
 *
 *   npm run bench:net [-- --scenario compare|saturation|cost|churn|all (default all)
 *                        --modes flood,tree,gossipsub --nodes 10,30,50 --degrees 4,8
 *                        --process-nodes 10,30 (0 = none) --process-degrees 4,8 --gossipsub-d 0,8 (0 = default)
 *                        --items 100 --interval-ms 50 --payload-bytes 64 --seed 1 --pow-difficulty 6
 *                        --saturation-seconds 10 --saturation-sizes 64,1024 --saturation-p99-ms 500
 *                        --saturation-budget-s 150 --saturation-start-rate 100 --saturation-max-rate 20000
 *                        --saturation-nodes 10 --saturation-degree 8
 *                        --cost-rate 1000 --cost-seconds 10 --cost-sizes 64,1024 --cost-nodes 10
 *                        --cost-flood-degrees 2,4,8 --cost-tree-degrees 8
 *                        --saturation-uplink-mbit 0 (per daemon's P2P egress, 0 = unshaped; needs root and tc)
 *                        --churn-nodes 30 --churn-degree 8 --churn-fraction 0.3 --churn-seconds 20
 *                        --churn-kill-at 5 --churn-interval-ms 50
 *                        --no-doc --json FILE (every result, raw)]
 *
 * `--nodes` or `--degrees` without `--scenario` runs the comparison only (the old call).
 */
import { writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChurn } from './net/churn.js';
import { comparePlan, describeSetup, runCompare } from './net/compare.js';
import { costSetup, runCost } from './net/cost.js';
import { costLines, costTable } from './net/cost-report.js';
import { parseOptions, type BenchOptions } from './net/options.js';
import { writeChurnPlot, writeComparePlots, writeSaturationPlot } from './net/plots.js';
import {
  churnTable,
  churnVerdict,
  compareTables,
  compareVerdict,
  saturationTable,
  saturationVerdict,
  updateDoc,
} from './net/report.js';
import { runSaturation } from './net/saturation.js';
import { uplinkLabel } from './net/uplink-shaping.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMG_DIR = fileURLToPath(new URL('../docs/img/', import.meta.url));
const DOC = fileURLToPath(new URL('../docs/net-bench.md', import.meta.url));

const progress = (line: string): void => void process.stderr.write(`[bench:net] ${line}\n`);

interface Section {
  readonly name: string;
  readonly text: string;
  readonly plots: readonly string[];
}

async function main(options: BenchOptions): Promise<void> {
  const benchStarted = performance.now();
  // --no-doc leaves the committed plots alone too: they must match the doc's tables.
  const plotDir = options.writeDoc ? IMG_DIR : join(tmpdir(), 'bench-net-plots/');
  const date = new Date().toISOString().slice(0, 10);
  const load = (): string =>
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (1/5/15 min)`;
  const sections: Section[] = [];
  const raw: Record<string, unknown> = {};
  progress(`scenarios: ${options.scenarios.join(', ')}; modes: ${options.variants.join(', ')}; ${load()}`);

  if (options.scenarios.includes('compare')) {
    const { plan, notes } = comparePlan(options);
    const setup = describeSetup(options);
    progress(`compare: ${plan.length} configurations. ${setup}`);
    for (const note of notes) progress(`NOTE ${note}`);
    const summaries = await runCompare(options, progress);
    raw.compare = summaries;
    const text = [
      `Measured ${date}: ${setup} At the end: ${load()}.`,
      ...notes.map((n) => `\n**Note:** ${n}.`),
      '',
      compareTables(summaries),
      '',
      ...compareVerdict(summaries).map((line) => `- ${line}`),
    ].join('\n');
    sections.push({ name: 'compare', text, plots: writeComparePlots(plotDir, summaries) });
  }
  if (options.scenarios.includes('saturation')) {
    const s = options.saturation;
    const started = performance.now();
    const { results, notes } = await runSaturation(options, progress);
    raw.saturation = results;
    const took = (performance.now() - started) / 1000;
    const text = [
      `Measured ${date}: ${s.nodes} daemon processes, degree ${s.degree}; each probe offers items at a fixed rate for ` +
        `${s.seconds} s at random nodes; it passes with 100 % delivery, last-delivery p99 ≤ ${s.p99BoundMs} ms and the ` +
        `bench announcing ≥ 95 % of the planned rate. Rates doubled from ${s.startRate}/s, then bisected to 10 %; ` +
        `each search stops after ${s.budgetSeconds} s.` +
        (s.uplinksMbit.some((mbit) => mbit > 0)
          ? ` Uplinks: ${s.uplinksMbit.map(uplinkLabel).join(', ')} per daemon (its P2P egress, tc htb on lo).`
          : '') +
        ` The whole scenario took ${took.toFixed(0)} s. At the end: ${load()}.`,
      ...notes.map((n) => `\n**Note:** ${n}.`),
      '',
      saturationTable(results, s.p99BoundMs, s.seconds),
      '',
      ...saturationVerdict(results).map((line) => `- ${line}`),
    ].join('\n');
    sections.push({ name: 'saturation', text, plots: writeSaturationPlot(plotDir, results, s.p99BoundMs) });
  }
  if (options.scenarios.includes('cost')) {
    const started = performance.now();
    const { rows, notes } = await runCost(options, progress);
    raw.cost = rows;
    const took = (performance.now() - started) / 1000;
    const text = [
      `Measured ${date}: ${costSetup(options)} The whole scenario took ${took.toFixed(0)} s. At the end: ${load()}.`,
      ...notes.map((n) => `\n**Note:** ${n}.`),
      '',
      costTable(rows),
      '',
      ...costLines(rows, options.saturation.p99BoundMs).map((line) => `- ${line}`),
    ].join('\n');
    sections.push({ name: 'cost', text, plots: [] });
  }
  if (options.scenarios.includes('churn')) {
    const c = options.churn;
    const { results, notes } = await runChurn(options, progress);
    raw.churn = results;
    const text = [
      `Measured ${date}: ${c.nodes} daemon processes, degree ${c.degree}, rotation off; items every ${c.intervalMs} ms ` +
        `for ${c.seconds} s; at ${c.killAtSeconds} s ${Math.round(c.fraction * c.nodes)} nodes (seeded) are SIGKILLed ` +
        `and from then on only survivors announce. At the end: ${load()}.`,
      ...notes.map((n) => `\n**Note:** ${n}.`),
      '',
      churnTable(results),
      '',
      ...churnVerdict(results).map((line) => `- ${line}`),
    ].join('\n');
    sections.push({ name: 'churn', text, plots: writeChurnPlot(plotDir, results) });
  }

  for (const section of sections) process.stdout.write(`\n## bench:net ${section.name}\n\n${section.text}\n`);
  if (options.jsonFile) writeFileSync(options.jsonFile, `${JSON.stringify(raw)}\n`);
  for (const section of sections) {
    const shown = section.plots.map((p) => (options.writeDoc ? relative(ROOT, `${plotDir}${p}`) : `${plotDir}${p}`));
    if (shown.length > 0) progress(`${section.name} plots: ${shown.join(', ')}`);
    if (!options.writeDoc) continue;
    const text = [section.text, '', ...section.plots.map((p) => `![${p}](img/${p})`)].join('\n');
    progress(
      updateDoc(DOC, section.name, text)
        ? `${section.name} results written into ${relative(ROOT, DOC)}`
        : `${relative(ROOT, DOC)} has no ${section.name} markers: not updated`,
    );
  }
  progress(`done in ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`);
}

main(parseOptions(process.argv.slice(2))).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:net: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
