/**
 * Spreading over a loopback overlay (docs/protocol.md §4.4): N daemons for
 * N = 10, 30, 50 and degree 4, 6 and 8, each in ONE process (test/support/network.ts: daemons
 * on 127.0.0.(i+1), one shared proof-of-work pool), plus N = 10 as separate processes
 * (`node bin/gossip.js daemon -c FILE`) to compare. Every node has a subscriber answering
 * valid=1 at once; items (ttl 0) are announced at random nodes at a fixed pace. Prints the
 * table, writes the plots to docs/img/ and the results section of docs/net-bench.md.
 *
 *   npm run bench:net [-- --nodes 10,30,50 --degrees 4,6,8 --items 100 --interval-ms 50
 *                        --process-nodes 10 (0 = skip) --process-degrees 4,8 --seed 1
 *                        --pow-difficulty 6 --no-doc --json FILE (every latency, raw)]
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchCluster, ClusterMode, ClusterSettings } from './net/cluster.js';
import { startInProcessCluster } from './net/in-process-cluster.js';
import { startProcessCluster } from './net/process-cluster.js';
import { GOSSIPSUB_DUPLICATES_AT_D8, resultsTable, updateDoc, writePlots } from './net/report.js';
import { summarise, type ConfigSummary } from './net/summary.js';
import { Workload } from './net/workload.js';
import { seededRandom } from '../test/support/seeded-random.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMG_DIR = fileURLToPath(new URL('../docs/img/', import.meta.url));
const DOC = fileURLToPath(new URL('../docs/net-bench.md', import.meta.url));

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return fallback;
  const value = process.argv[index + 1];
  if (value === undefined) throw new Error(`--${name} needs a value`);
  return value;
}

function number(name: string, fallback: number, minimum: number): number {
  const [value] = numbers(name, String(fallback), minimum);
  return value!;
}

function numbers(name: string, fallback: string, minimum: number): number[] {
  const values = option(name, fallback).split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < minimum))
    throw new Error(`--${name} needs integers ≥ ${minimum}, comma-separated`);
  return values;
}

const NODES = numbers('nodes', '10,30,50', 2);
const DEGREES = numbers('degrees', '4,6,8', 1);
const ITEMS = number('items', 100, 1);
const INTERVAL_MS = number('interval-ms', 50, 0);
const PROCESS_NODES = number('process-nodes', 10, 0);
const PROCESS_DEGREES = numbers('process-degrees', '4,8', 1);
const SEED = number('seed', 1, 0);
const POW_DIFFICULTY = number('pow-difficulty', 6, 0);
const WRITE_DOC = !process.argv.includes('--no-doc');
const JSON_FILE = process.argv.includes('--json') ? option('json', '') : null;
const DATA_TYPE = 4242;
const FORM_TIMEOUT_MS = 60_000;
/** Fresh networks tried per configuration before a partitioned one is measured as it is. */
const FORM_ATTEMPTS = 3;
const WARM_UP_TIMEOUT_MS = 3_000;

const progress = (line: string): void => void process.stderr.write(`[bench:net] ${line}\n`);

/** A connected overlay, or after FORM_ATTEMPTS partitioned ones, the last of them. */
async function formNetwork(
  mode: ClusterMode,
  settings: ClusterSettings,
  random: () => number,
  name: string,
): Promise<{ cluster: BenchCluster; workload: Workload; attempts: number; reach: number }> {
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    progress(
      `${name}: starting daemons, waiting for ≥ ${settings.degree} links per node (attempt ${attempt}/${FORM_ATTEMPTS})`,
    );
    const cluster: BenchCluster =
      mode === 'in-process'
        ? await startInProcessCluster(settings, FORM_TIMEOUT_MS)
        : await startProcessCluster(settings, FORM_TIMEOUT_MS, progress);
    const workload = await Workload.connect(cluster.apiEndpoints, {
      items: ITEMS,
      intervalMs: INTERVAL_MS,
      dataType: DATA_TYPE,
      payloadBytes: 64,
      deliveryTimeoutMs: 15_000,
      random,
    });
    let reach = await workload.warmUp(WARM_UP_TIMEOUT_MS);
    if (reach < settings.nodes) {
      // A slow handshake may still join the parts: probe once more before calling it partitioned.
      progress(`${name}: the warm-up item reached ${reach}/${settings.nodes} subscribers; probing again`);
      reach = await workload.warmUp(WARM_UP_TIMEOUT_MS);
    }
    const formed = `overlay stable after ${((performance.now() - started) / 1000).toFixed(1)} s`;
    if (reach === settings.nodes || attempt === FORM_ATTEMPTS) {
      const note = reach === settings.nodes ? 'connected' : 'STILL PARTITIONED, measuring it as it is';
      progress(`${name}: ${formed}; warm-up item reached ${reach}/${settings.nodes} subscribers: ${note}`);
      return { cluster, workload, attempts: attempt, reach };
    }
    // Rotation is off, so nothing would ever join the parts: start a fresh network.
    progress(
      `${name}: ${formed} but PARTITIONED: the second warm-up item reached ${reach}/${settings.nodes} subscribers; retrying`,
    );
    workload.close();
    await cluster.close();
  }
}

async function measure(mode: ClusterMode, settings: ClusterSettings, random: () => number): Promise<ConfigSummary> {
  const name = `${mode} N=${settings.nodes} degree=${settings.degree}`;
  const started = performance.now();
  const { cluster, workload, attempts, reach } = await formNetwork(mode, settings, random, name);
  try {
    await new Promise((resolve) => setTimeout(resolve, 200)); // the warm-up item's last duplicates
    const before = await cluster.counters();
    const runStarted = performance.now();
    const [loopBefore, cpuBefore] = [performance.eventLoopUtilization(), process.cpuUsage()];
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const result = await workload.run((announced) => progress(`${name}: announced ${announced}/${ITEMS}`));
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    const benchProcess = {
      eventLoopUtilisation: performance.eventLoopUtilization(loopBefore).utilization,
      cpuMsPerItem: (cpu.user + cpu.system) / 1000 / ITEMS,
      maxLoopDelayMs: loopDelay.max / 1e6,
      loadAverage: loadavg()[0]!,
    };
    await new Promise((resolve) => setTimeout(resolve, 300)); // duplicates still in flight
    const after = await cluster.counters();
    const identity = {
      mode,
      nodes: settings.nodes,
      degree: settings.degree,
      formationAttempts: attempts,
      warmUpReach: reach,
      benchProcess,
    };
    const summary = summarise(identity, result, before, after, (performance.now() - runStarted) / 1000);
    progress(
      `${name}: delivery ${(summary.deliveryRatio * 100).toFixed(2)} %, last p99 ${summary.last.p99.toFixed(1)} ms, ` +
        `duplicates/node/item ${summary.duplicatesPerNodeItem.toFixed(2)}, event loop ${(benchProcess.eventLoopUtilisation * 100).toFixed(0)} % busy, ` +
        `${benchProcess.cpuMsPerItem.toFixed(1)} CPU ms/item, longest loop stall ${benchProcess.maxLoopDelayMs.toFixed(0)} ms, load average ${benchProcess.loadAverage.toFixed(1)} (${((performance.now() - started) / 1000).toFixed(1)} s in all)`,
    );
    return summary;
  } finally {
    workload.close();
    await cluster.close();
  }
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  const random = seededRandom(SEED);
  const plan: [ClusterMode, ClusterSettings][] = [];
  for (const nodes of NODES)
    for (const degree of DEGREES) plan.push(['in-process', { nodes, degree, powDifficulty: POW_DIFFICULTY }]);
  if (PROCESS_NODES > 0)
    for (const degree of PROCESS_DEGREES)
      plan.push(['processes', { nodes: PROCESS_NODES, degree, powDifficulty: POW_DIFFICULTY }]);
  const setup =
    `${ITEMS} items per configuration, one every ${INTERVAL_MS} ms at a random node (seed ${SEED}), ttl 0, 64-byte data; ` +
    `pow_difficulty ${POW_DIFFICULTY}; rotation off; max_peers = 2 × degree; ` +
    `one subscriber per node answering valid=1 at once. Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}.`;
  progress(setup);
  const summaries: ConfigSummary[] = [];
  for (const [mode, settings] of plan) summaries.push(await measure(mode, settings, random));

  const table = resultsTable(summaries);
  const gossipsub =
    `GossipSub: about ${GOSSIPSUB_DUPLICATES_AT_D8} duplicates per node per item at mesh degree 8 (ProbeLab 2024, (k − 2)/2); ` +
    `flooding here: ${
      summaries
        .filter((s) => s.degree === 8)
        .map(
          (s) =>
            `${s.duplicatesPerNodeItem.toFixed(2)} (${s.mode} N=${s.nodes}, ${s.links.mean.toFixed(1)} links/node)`,
        )
        .join(', ') || 'no degree-8 run'
    }.`;
  process.stdout.write(`\nbench:net — ${setup}\n\n${table}\n\n${gossipsub}\n`);
  if (JSON_FILE) writeFileSync(JSON_FILE, `${JSON.stringify(summaries)}\n`);
  // --no-doc leaves the committed plots alone too: they must match the doc's tables.
  const plotDir = WRITE_DOC ? IMG_DIR : join(tmpdir(), 'bench-net-plots/');
  const plots = writePlots(plotDir, summaries);
  progress(`plots: ${plots.map((p) => (WRITE_DOC ? relative(ROOT, `${plotDir}${p}`) : `${plotDir}${p}`)).join(', ')}`);
  const target50 = summaries.filter((s) => s.nodes >= 50);
  const verdict = [
    `100 % delivery: ${summaries.every((s) => s.deliveryRatio === 1) ? 'met in every configuration' : 'NOT met'}`,
    target50.length > 0
      ? `last-delivery p99 < 100 ms at N = 50: ${target50.every((s) => s.last.p99 < 100) ? 'met' : 'NOT met'} (${target50.map((s) => `${s.last.p99.toFixed(1)} ms at degree ${s.degree}`).join(', ')})`
      : 'no N = 50 run',
  ];
  process.stdout.write(`${verdict.join('\n')}\n`);
  if (WRITE_DOC) {
    const section = [
      `Measured ${new Date().toISOString().slice(0, 10)}: ${setup}`,
      '',
      table,
      '',
      gossipsub,
      '',
      ...verdict.map((line) => `- ${line}`),
      '',
      ...plots.map((p) => `![${p}](img/${p})`),
    ].join('\n');
    progress(
      updateDoc(DOC, section)
        ? `results written into ${relative(ROOT, DOC)}`
        : `${relative(ROOT, DOC)} has no results markers: not updated`,
    );
  }
  progress(`done in ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:net: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
