/**
 * Runs js-libp2p GossipSub on the bench:net workload. It lives in bench/gossipsub/, a package
 * of its own (libp2p is not a dependency of the daemon, so the daemon's `npm ci` never pulls
 * it): installed here with `npm ci` on first use, or again when its lockfile changed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterMode } from './cluster.js';
import type { GossipsubJob, GossipsubResult } from './gossipsub-job.js';
import { combine, type ConfigSummary } from './summary.js';
import { mean } from './stats.js';

const PACKAGE_DIR = fileURLToPath(new URL('../gossipsub/', import.meta.url));
/** Written after a successful install: the lockfile's hash, so a changed lockfile reinstalls. */
const STAMP = join(PACKAGE_DIR, 'node_modules', '.bench-net-installed');

export function ensureGossipsubInstalled(progress: (line: string) => void): void {
  const lock = readFileSync(join(PACKAGE_DIR, 'package-lock.json'));
  const hash = createHash('sha256').update(lock).digest('hex');
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash) return;
  progress(`installing bench/gossipsub (npm ci: libp2p, GossipSub; first use or changed lockfile)`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const done = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: PACKAGE_DIR, stdio: ['ignore', 2, 2] });
  if (done.status !== 0) throw new Error(`npm ci in bench/gossipsub failed (exit ${done.status ?? done.signal})`);
  writeFileSync(STAMP, hash);
}

/** Mean links per node of our overlays relative to `degree` (docs/net-bench.md: 6.4 at 4, 13.2 at 8). */
export const TYPICAL_LINKS_PER_DEGREE = 1.6;

/**
 * A random overlay with about `meanLinks` links per node, none above 2 × degree (our
 * max_peers): every node in turn first dials random peers until it holds `degree` links, then
 * random pairs are linked until the mean is reached.
 */
export function randomOverlay(
  nodes: number,
  degree: number,
  meanLinks: number,
  random: () => number,
): [number, number][] {
  const linked = Array.from({ length: nodes }, () => new Set<number>());
  const edges: [number, number][] = [];
  const cap = 2 * degree;
  const open = (from: number) => (to: number) => to !== from && !linked[from]!.has(to) && linked[to]!.size < cap;
  const link = (from: number, to: number): void => {
    linked[from]!.add(to);
    linked[to]!.add(from);
    edges.push([from, to]);
  };
  const pickFrom = (values: number[]): number => values[Math.floor(random() * values.length)]!;
  const everyone = Array.from({ length: nodes }, (_, i) => i);
  for (let turn = 0; turn < degree; turn++) {
    for (const from of everyone) {
      const candidates = linked[from]!.size < degree ? everyone.filter(open(from)) : [];
      if (candidates.length > 0) link(from, pickFrom(candidates));
    }
  }
  while ((2 * edges.length) / nodes < meanLinks) {
    const froms = everyone.filter((from) => linked[from]!.size < cap && everyone.some(open(from)));
    if (froms.length === 0) break;
    const from = pickFrom(froms);
    link(from, pickFrom(everyone.filter(open(from))));
  }
  return edges;
}

function runJob(job: GossipsubJob, progress: (line: string) => void): Promise<GossipsubResult> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-gossipsub-'));
  const file = join(directory, 'job.json');
  writeFileSync(file, JSON.stringify(job));
  // `--import tsx` resolves from the package folder up to the repository's node_modules.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/run.ts', file], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let tail = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (tail + chunk.toString()).split('\n');
    tail = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') progress(line.replace(/^\[bench:net\] /, ''));
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      rmSync(directory, { recursive: true, force: true });
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || last === '') reject(new Error(`the GossipSub runner failed (exit ${code}): ${tail}`));
      else resolve(JSON.parse(last) as GossipsubResult);
    });
  });
}

export interface GossipsubRun {
  readonly mode: ClusterMode;
  readonly nodes: number;
  readonly degree: number;
  readonly meshDegree: number | null;
  readonly items: number;
  readonly intervalMs: number;
  readonly payloadBytes: number;
  /** Links per node to draw the overlay with (our overlay's mean, when measured). */
  readonly meanLinks: number;
}

export async function measureGossipsub(
  run: GossipsubRun,
  random: { readonly overlay: () => number; readonly publishers: () => number },
  progress: (line: string) => void,
): Promise<ConfigSummary> {
  const edges = randomOverlay(run.nodes, run.degree, run.meanLinks, random.overlay);
  // Drawn as bench/net/workload.ts draws its announcing nodes: the same sequence for the same seed.
  const publishers = Array.from({ length: run.items }, () => Math.floor(random.publishers() * run.nodes));
  const job: GossipsubJob = {
    mode: run.mode,
    nodes: run.nodes,
    meshDegree: run.meshDegree,
    edges,
    publishers,
    intervalMs: run.intervalMs,
    payloadBytes: run.payloadBytes,
    meshTimeoutMs: 20_000,
    warmUpTimeoutMs: 5_000,
    deliveryTimeoutMs: 15_000,
  };
  const result = await runJob(job, progress);
  const c = result.counts;
  const perItem = (value: number): number => value / run.items;
  const controlByName: Record<string, number> = {
    IHAVE: perItem(c.ihave),
    'IHAVE ids': perItem(c.ihaveIds),
    IWANT: perItem(c.iwant),
    'IWANT ids': perItem(c.iwantIds),
    GRAFT: perItem(c.graft),
    PRUNE: perItem(c.prune),
    IDONTWANT: perItem(c.idontwant),
    SUBSCRIBE: perItem(c.subscriptions),
  };
  for (const [key, value] of Object.entries(controlByName)) if (value === 0) delete controlByName[key];
  const identity = {
    mode: run.mode,
    variant: 'gossipsub' as const,
    meshDegree: run.meshDegree,
    nodes: run.nodes,
    degree: run.degree,
    formationAttempts: 1,
    warmUpReach: result.warmUpReach,
    benchProcess: { eventLoopUtilisation: 0, cpuMsPerItem: 0, maxLoopDelayMs: 0, loadAverage: loadavg()[0]! },
  };
  const costs = {
    links: {
      mean: mean(result.links),
      min: Math.min(...result.links),
      max: Math.max(...result.links),
      edges: edges.length,
    },
    copiesPerNodeItem: c.copies / (run.nodes * run.items),
    duplicatesPerNodeItem: c.duplicates / (run.nodes * run.items),
    predictedCopiesPerNodeItem: Number.NaN,
    controlFramesPerItem: perItem(c.ihave + c.iwant + c.graft + c.prune + c.idontwant + c.subscriptions),
    controlBytesPerItem: perItem(c.rpcBytes - c.messageBytes),
    payloadBytesPerItem: perItem(c.messageBytes),
    controlByName,
    networkCpuMsPerItem: perItem(c.cpuMs),
    framesDropped: 0,
    itemsDropped: 0,
  };
  const spread = (values: number[]): string =>
    `${mean(values).toFixed(1)} (${Math.min(...values)}–${Math.max(...values)})`;
  const note =
    `mesh peers ${spread(result.meshPeers)} at the start, ${spread(result.meshPeersAtEnd)} at the end` +
    (result.publishErrors > 0 ? `, ${result.publishErrors} publishes refused` : '');
  return combine(identity, result, costs, result.seconds, note);
}
