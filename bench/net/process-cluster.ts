/**
 * N daemons as separate processes, each started the way a user starts one:
 * `node bin/gossip.js daemon -c FILE`, on 127.0.1.(i+1) (127.0.2.x … for a second network
 * alongside, ClusterSettings.addressBlock) with fixed ports below the
 * ephemeral range (so they cannot meet the tests' port-0 daemons on 127.0.0.x). Counters
 * come from each daemon's Prometheus endpoint (`metrics_address`, runtime/metrics.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, waitFor } from '../../test/support/network.js';
import { BENCH_NODE_SETTINGS, type BenchCluster, type ClusterSettings, type NodeCounters } from './cluster.js';
import { iniLinesFor } from './dissemination.js';
import { waitForStableLinks } from './stable-links.js';

const GOSSIP_BIN = fileURLToPath(new URL('../../bin/gossip.js', import.meta.url));
export const P2P_PORT = 26_001;
const API_PORT = 27_001;
const METRICS_PORT = 28_001;
const STOP_DEADLINE_MS = 3_000;

/** Node i of address block b (two networks may run side by side): 127.0.(1 + b).(i + 1). */
export const hostIn =
  (block: number) =>
  (index: number): string =>
    `127.0.${1 + block}.${index + 1}`;

interface Child {
  readonly process: ChildProcess;
  stderr: string;
  exited: boolean;
}

export async function startProcessCluster(
  settings: ClusterSettings,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<BenchCluster> {
  const directory = mkdtempSync(join(tmpdir(), 'bench-net-'));
  const hostOf = hostIn(settings.addressBlock ?? 0);
  const children: Child[] = [];
  const killAll = (): void => {
    for (const child of children) if (!child.exited) child.process.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const cluster: BenchCluster = {
    mode: 'processes',
    apiEndpoints: Array.from({ length: settings.nodes }, (_, i) => `${hostOf(i)}:${API_PORT}`),
    counters: () => Promise.all(children.flatMap((child, i) => (child.exited ? [] : [scrape(hostOf(i), i)]))),
    async kill(index) {
      const child = children[index];
      if (!child || child.exited) return;
      const exited = new Promise((resolve) => child.process.once('exit', resolve));
      child.process.kill('SIGKILL');
      await exited;
    },
    async close() {
      await Promise.all(children.map(stop));
      process.removeListener('exit', killAll);
      rmSync(directory, { recursive: true, force: true });
    },
  };
  try {
    for (let index = 0; index < settings.nodes; index++) {
      const file = join(directory, `node-${index}.ini`);
      writeFileSync(file, iniFor(index, settings, hostOf));
      children.push(launch(file));
      // The first node must listen before the others bootstrap from it.
      if (index === 0)
        await waitFor('node 0 to serve its metrics', () => isServing(hostOf(0), 0, children[0]!), timeoutMs);
    }
    await waitFor(
      'every node to serve its metrics',
      async () => (await Promise.all(children.map((c, i) => isServing(hostOf(i), i, c)))).every(Boolean),
      timeoutMs,
    );
    progress(
      `processes N=${settings.nodes}: ${settings.nodes} daemons up (pids ${children.map((c) => c.process.pid).join(' ')})`,
    );
    await waitForStableLinks(cluster, settings.degree, timeoutMs);
  } catch (error) {
    const failed = children.find((c) => c.exited);
    await cluster.close();
    if (failed) throw new Error(`a daemon process exited early: ${failed.stderr.trim().split('\n').at(-1) ?? ''}`);
    throw error;
  }
  return cluster;
}

function iniFor(index: number, settings: ClusterSettings, hostOf: (index: number) => string): string {
  const host = hostOf(index);
  return [
    '[gossip]',
    `cache_size = ${BENCH_NODE_SETTINGS.cacheSize}`,
    `degree = ${settings.degree}`,
    `max_peers = ${2 * settings.degree}`,
    index === 0 ? '' : `bootstrapper = ${hostOf(0)}:${P2P_PORT}`,
    `p2p_address = ${host}:${P2P_PORT}`,
    `api_address = ${host}:${API_PORT}`,
    `metrics_address = ${host}:${METRICS_PORT}`,
    `pow_difficulty = ${settings.powDifficulty}`,
    `validation_timeout = ${BENCH_NODE_SETTINGS.validationTimeoutMs / 1000}`,
    `verification_timeout = ${BENCH_NODE_SETTINGS.verificationTimeoutMs / 1000}`,
    `rejoin_interval = ${BENCH_NODE_SETTINGS.rejoinIntervalMs / 1000}`,
    ...iniLinesFor(settings.dissemination),
    'log_level = warn',
    '',
  ].join('\n');
}

function launch(configFile: string): Child {
  const spawned = spawn(process.execPath, [GOSSIP_BIN, 'daemon', '-c', configFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const child: Child = { process: spawned, stderr: '', exited: false };
  spawned.stderr?.on('data', (chunk: Buffer) => {
    child.stderr = (child.stderr + chunk.toString()).slice(-4_000);
  });
  spawned.once('exit', () => {
    child.exited = true;
  });
  return child;
}

async function isServing(host: string, index: number, child: Child): Promise<boolean> {
  if (child.exited) throw new Error(`daemon ${index} exited: ${child.stderr.trim().split('\n').at(-1) ?? ''}`);
  try {
    await scrape(host, index);
    return true;
  } catch {
    return false;
  }
}

async function stop(child: Child): Promise<void> {
  if (child.exited) return;
  child.process.kill('SIGTERM');
  const deadline = Date.now() + STOP_DEADLINE_MS;
  while (!child.exited && Date.now() < deadline) await sleep(50);
  if (!child.exited) child.process.kill('SIGKILL');
}

/** Node i's counters from its `GET /metrics` (Prometheus text format) on `host`. */
async function scrape(host: string, index: number): Promise<NodeCounters> {
  const response = await fetch(`http://${host}:${METRICS_PORT}/metrics`);
  if (!response.ok) throw new Error(`metrics of node ${index}: HTTP ${response.status}`);
  const samples = parsePrometheus(await response.text());
  const sum = (name: string, labels: Record<string, string> = {}): number =>
    samples
      .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((total, s) => total + s.value, 0);
  const p2pFrames: Record<number, { frames: number; bytes: number }> = {};
  const treeEvents: Record<string, number> = {};
  for (const s of samples) {
    if (s.name === 'gossip_tree_events_total')
      treeEvents[s.labels.event ?? ''] = (treeEvents[s.labels.event ?? ''] ?? 0) + s.value;
    if (s.labels.server !== 'p2p') continue;
    const entry = (): { frames: number; bytes: number } =>
      (p2pFrames[Number(s.labels.type)] ??= { frames: 0, bytes: 0 });
    if (s.name === 'gossip_frames_received_total') entry().frames += s.value;
    else if (s.name === 'gossip_frame_bytes_received_total') entry().bytes += s.value;
  }
  return {
    received: sum('gossip_items_received_total'),
    duplicates: sum('gossip_items_duplicate_total', { source: 'peer' }),
    framesDropped: sum('gossip_frames_dropped_total'),
    itemsDropped: sum('gossip_items_dropped_total'),
    activeLinks: sum('gossip_peers', { state: 'active' }),
    p2pFrames,
    treeEvents,
    cpuSeconds: sum('process_cpu_seconds_total'),
    eagerLinks: samples.some((s) => s.name === 'gossip_tree_links' && s.labels.mode === 'eager')
      ? sum('gossip_tree_links', { mode: 'eager' })
      : null,
  };
}

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** The sample lines of the Prometheus text format (`name{a="b",…} value`); comments skipped. */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}
