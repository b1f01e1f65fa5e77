/**
 * One conformance run: pick the cases, start the nodes (`--spawn`) or take them as given
 * (`--api`), wait until node 0's items reach every other node, run the cases, report, and
 * stop whatever was started, also on failure or Ctrl-C.
 */
import { writeFileSync } from 'node:fs';
import { ApiClient, parseEndpoint, type Endpoint } from '../runtime/entry/client.js';
import { sleep } from './bytes.js';
import { allCases } from './cases/index.js';
import { closeSharedPow } from './proofs.js';
import { formatResult, formatSummary, summarise, toJson, toJunit, type Summary } from './reporters.js';
import { DELIVERY_ORDER, runCases, selectCases, TWO_HOP_ORDER } from './runner.js';
import { spawnCluster, type Cluster } from './spawner.js';
import { NodeHealth } from './health.js';
import type { CaseResult, ConformanceCase, Fact, Group, Need, NodeInfo, SuiteSettings } from './types.js';

export interface SuiteOptions {
  /** `--spawn`: command with `{config}`; or null with `api` given. */
  readonly spawn: string | null;
  readonly nodes: number;
  /** `--api`: API addresses of nodes someone else started. */
  readonly api: readonly string[];
  /** `--p2p`: their P2P addresses, same order (for the p2p group). */
  readonly p2p: readonly string[];
  readonly set: Readonly<Record<string, string>>;
  /** `--set-node I:key=value`: keys for node I only. */
  readonly setNode?: Readonly<Record<number, Readonly<Record<string, string>>>>;
  /** `--exclude`: case ids, prefixes or globs left out. */
  readonly exclude?: readonly string[];
  /** `--force`: run the cases even when the overlay did not form. */
  readonly force?: boolean;
  readonly groups: readonly Group[];
  readonly only: readonly string[];
  readonly hostkeyBits: number;
  readonly startupTimeoutMs: number;
  /** How long to wait for node 0's items to reach every node before the cases start. */
  readonly readyTimeoutMs: number;
  readonly settings: SuiteSettings;
  readonly json: boolean;
  readonly junitPath: string | null;
  /** Show a progress line on stderr (a TTY) while running. */
  readonly progress: boolean;
  readonly cwd?: string;
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export interface SuiteRun {
  readonly results: CaseResult[];
  readonly summary: Summary;
  readonly exitCode: number;
}

/**
 * Cases of the chosen groups matching `--only` and not `--exclude`, in file order, plus the
 * precondition cases they need (a precondition always runs when a chosen case needs it).
 */
export function chooseCases(
  groups: readonly Group[],
  only: readonly string[],
  exclude: readonly string[] = [],
): ConformanceCase[] {
  const inGroups = allCases.filter((c) => groups.includes(c.group));
  const excluded = new Set(exclude.length ? selectCases(inGroups, exclude).map((c) => c.id) : []);
  const chosen = selectCases(inGroups, only).filter((c) => !excluded.has(c.id));
  const facts = new Set<Fact>();
  const add = (need: Need): void => {
    if (need === 'delivery') DELIVERY_ORDER.forEach(add);
    else if (need === 'two-hop') TWO_HOP_ORDER.forEach(add);
    else if (!facts.has(need)) {
      facts.add(need);
      for (const provider of allCases.filter((c) => c.provides === need)) provider.needs?.forEach(add);
    }
  };
  for (const c of chosen) c.needs?.forEach(add);
  const ids = new Set(chosen.map((c) => c.id));
  return allCases.filter((c) => ids.has(c.id) || (c.provides !== undefined && facts.has(c.provides)));
}

/** `--list`: id, section and requirement of every chosen case. */
export function listCases(cases: readonly ConformanceCase[]): string {
  return cases.map((c) => `${c.id.padEnd(48)} §${c.section.padEnd(4)} ${c.requirement}`).join('\n');
}

export async function runSuite(options: SuiteOptions, output: Output): Promise<SuiteRun> {
  const cases = chooseCases(options.groups, options.only, options.exclude ?? []);
  if (cases.length === 0) throw new Error(`no case matches --only ${options.only.join(',')} (see --list)`);
  const started = performance.now();
  let cluster: Cluster | null = null;
  let isStopping = false;
  const stopOnSignal = (signal: NodeJS.Signals): void => {
    if (isStopping) {
      // A second Ctrl-C: no more grace for the nodes.
      cluster?.killNow();
      process.exit(130);
    }
    isStopping = true;
    output.err(`\n${signal}: stopping the nodes\n`);
    void (cluster?.stop() ?? Promise.resolve()).then(() => process.exit(130));
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  try {
    let nodes: NodeInfo[];
    if (options.spawn !== null) {
      output.err(`starting ${options.nodes} node(s): ${options.spawn}\n`);
      cluster = await spawnCluster({
        command: options.spawn,
        nodes: options.nodes,
        set: options.set,
        setNode: options.setNode ?? {},
        hostkeyBits: options.hostkeyBits,
        startupTimeoutMs: options.startupTimeoutMs,
        cwd: options.cwd,
      });
      nodes = cluster.nodes;
      output.err(`configs and logs in ${cluster.workDir}\n`);
    } else {
      nodes = givenNodes(options.api, options.p2p);
    }
    const ready = await waitUntilConnected(nodes, options.readyTimeoutMs);
    if (ready.ms === null) {
      const reach = ready.reached.length > 0 ? `reached ${describeNodes(ready.reached)} but not` : 'did not reach';
      const text = `node 0's items ${reach} ${describeNodes(ready.missing)} within ${options.readyTimeoutMs} ms (the overlay did not form${cluster ? `; logs in ${cluster.workDir}` : ''})`;
      if (!options.force) {
        output.err(`error: ${text}; give --force to run the cases anyway\n`);
        const summary = summarise([], Math.round(performance.now() - started));
        if (options.json)
          output.out(`${toJson([], summary, targetOf(options, nodes), { error: text, ...runInfo(cluster) })}\n`);
        return { results: [], summary, exitCode: 2 };
      }
      output.err(`warning: ${text}; running anyway (--force)\n`);
    } else {
      output.err(`nodes ready (${nodes.length}, items spread in ${ready.ms} ms)\n`);
    }
    const activeCluster = cluster;
    const health = new NodeHealth(nodes, options.settings.waitMs, activeCluster);
    const results = await runCases({
      cases,
      nodes,
      settings: options.settings,
      spawnNode: activeCluster ? (overrides) => activeCluster.spawnExtra(overrides) : null,
      checkNodes: (facts) => health.check(facts),
      restartNode: activeCluster
        ? async (index) => {
            try {
              await activeCluster.restart(index);
              output.err(`node ${index} stopped answering: restarted\n`);
              const again = await waitUntilConnected(nodes, options.readyTimeoutMs);
              if (again.ms === null)
                output.err(
                  `warning: after restarting node ${index}, node 0's items did not reach ${describeNodes(again.missing)}\n`,
                );
              return true;
            } catch (error) {
              output.err(
                `node ${index} could not be restarted: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`,
              );
              return false;
            }
          }
        : undefined,
      onProgress: ({ done, total, running, last, amended }) => {
        if (last && !options.json) output.out(`${formatResult(last)}\n`);
        // A result printed earlier changed: print it again, so the console shows the blame too.
        if (amended && !options.json)
          output.out(`amended after ${last?.id ?? 'the next case'}:\n${formatResult(amended)}\n`);
        if (options.progress) {
          output.err(running ? `\r\x1b[K[${done + 1}/${total}] ${running.id} …` : '\r\x1b[K');
        }
      },
    });
    const summary = summarise(results, Math.round(performance.now() - started));
    if (options.json) output.out(`${toJson(results, summary, targetOf(options, nodes), runInfo(cluster))}\n`);
    else output.out(`\n${formatSummary(summary)}\n`);
    if (options.junitPath) writeFileSync(options.junitPath, toJunit(results, summary));
    return { results, summary, exitCode: summary.failed > 0 ? 1 : 0 };
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await closeSharedPow();
    await cluster?.stop();
  }
}

function targetOf(options: SuiteOptions, nodes: readonly NodeInfo[]): Record<string, unknown> {
  return options.spawn !== null
    ? { spawn: options.spawn, nodes: nodes.length, set: options.set, setNode: options.setNode ?? {} }
    : { api: options.api, p2p: options.p2p };
}

/** For the JSON report: the folder of configs and logs, and how each spawned node ended. */
function runInfo(cluster: Cluster | null): Record<string, unknown> {
  return cluster ? { workDir: cluster.workDir, nodes: cluster.statuses() } : {};
}

function describeNodes(indices: readonly number[]): string {
  return indices.length === 0 ? 'no node' : `node${indices.length > 1 ? 's' : ''} ${indices.join(', ')}`;
}

function givenNodes(api: readonly string[], p2p: readonly string[]): NodeInfo[] {
  if (api.length === 0) throw new Error('give --spawn COMMAND or --api host:port[,host:port…]');
  if (p2p.length > 0 && p2p.length !== api.length)
    throw new Error(`--p2p names ${p2p.length} addresses but --api ${api.length}: give one per node, same order`);
  return api.map((text, index) => ({
    index,
    api: parseEndpoint(text),
    p2p: p2p[index] ? parseEndpoint(p2p[index]) : null,
  }));
}

/** Probe items' data type: far from the range cases use. */
export const PROBE_DATA_TYPE = 65_000;
const PROBE_INTERVAL_MS = 300;
/** Each connection attempt while a node starts gets at least this long. */
const MIN_CONNECT_TIMEOUT_MS = 500;

/**
 * Announces probe items on node 0 until a subscriber on every other node got one (the
 * overlay formed): the time it took (null after `timeoutMs`) and which nodes were reached.
 * The announcing connection subscribes to the probe type first: some implementations close
 * an announcer that has not (api/3.1/announce-without-subscription tells).
 */
async function waitUntilConnected(
  nodes: readonly NodeInfo[],
  timeoutMs: number,
): Promise<{ ms: number | null; reached: number[]; missing: number[] }> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const first = await connectWithin(nodes[0]!.api, deadline);
  if (nodes.length < 2) {
    first.destroy();
    return { ms: 0, reached: [], missing: [] };
  }
  first.notify(PROBE_DATA_TYPE);
  const others = await Promise.all(nodes.slice(1).map((node) => connectWithin(node.api, deadline)));
  for (const client of others) client.notify(PROBE_DATA_TYPE);
  const reached = new Set<number>();
  // Every probe is called valid, not only the first: a node that forwards only validated items
  // (§3.1) must pass later probes on to a node that linked to it after the first one came.
  const listeners = others.map(async (client, index) => {
    for (;;) {
      const notification = await client.nextNotification(Math.max(0, deadline - Date.now()));
      if (!notification) return;
      client.validate(notification.messageId, true);
      reached.add(index + 1);
    }
  });
  let counter = 0;
  while (reached.size < others.length && Date.now() < deadline) {
    first.announce({
      ttl: 0,
      dataType: PROBE_DATA_TYPE,
      data: Buffer.from(`conformance probe ${process.pid} ${counter++}`),
    });
    await sleep(PROBE_INTERVAL_MS);
  }
  for (const client of [first, ...others]) client.destroy();
  await Promise.all(listeners);
  const all = nodes.slice(1).map((node) => node.index);
  return {
    ms: reached.size === others.length ? Date.now() - started : null,
    reached: all.filter((index) => reached.has(index)),
    missing: all.filter((index) => !reached.has(index)),
  };
}

async function connectWithin(endpoint: Endpoint, deadline: number): Promise<ApiClient> {
  for (;;) {
    try {
      return await ApiClient.connect(
        endpoint,
        Math.max(MIN_CONNECT_TIMEOUT_MS, Math.min(5_000, deadline - Date.now())),
      );
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(PROBE_INTERVAL_MS);
    }
  }
}
