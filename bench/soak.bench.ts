/**
 * bench:soak (docs/memory.md): daemons in separate processes under misbehaving clients,
 * watching memory, drops and the honest traffic's delivery.
 *
 *   npm run bench:soak                      soak: 4 daemons, 3 minutes
 *   npm run bench:soak -- --duration 600    soak for 10 minutes
 *   npm run bench:soak -- --mode flood      docs/protocol.md §7.3's target: 3 daemons, one
 *                                           client announces 100,000 64-byte items at once
 *   npm run bench:soak -- --set dissemination=tree   a setting for every daemon (repeatable)
 *   npm run bench:soak -- --mode flood --flood-subscribers no
 *                                           the flood with no subscriber of it on nodes 1 and 2
 *                                           (the target as §7.3 states it; by default both
 *                                           validate every item, a heavier load)
 *
 * Soak: a flooding client on node 0, validating subscribers of the flood on nodes 1 and 2,
 * a subscriber that never reads on node 1, modules crashing right after NOTIFY+ANNOUNCE on
 * node 2 (20 a second), honest probes from node 1 to nodes 0 and 2 (one per 20 ms), and the
 * last node as a peer that does not read (SIGSTOP for 25 s, SIGCONT for 10 s, repeated).
 * Prints progress, then RSS per node (and an SVG plot), drops by reason, and the probes'
 * delivery and latency.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { percentile, ascending } from './net/stats.js';
import { linePlotSvg } from './net/svg-plot.js';
import { sleep } from '../test/support/network.js';
import {
  CountingSubscriber,
  CrashingClients,
  Flooder,
  nonReadingSubscriber,
  startProbeProcess,
  type ProbeResult,
} from './soak/clients.js';
import { metricsOf, rssOf, startSoakCluster, sumOf, type SoakCluster } from './soak/daemons.js';

const FLOOD_TYPE = 41_000;
const PROBE_TYPE = 41_001;
const CRASH_TYPE = 41_002;
const MESH_POLL_MS = 500;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'soak' },
    duration: { type: 'string', default: '180' },
    nodes: { type: 'string' },
    items: { type: 'string', default: '100000' },
    svg: { type: 'string', default: 'docs/img/soak-rss.svg' },
    set: { type: 'string', multiple: true, default: [] },
    'flood-subscribers': { type: 'string', default: 'yes' },
  },
});
const withFloodSubscribers = args['flood-subscribers'] !== 'no';
const mode = args.mode === 'flood' ? 'flood' : 'soak';
const nodes = Number(args.nodes ?? (mode === 'flood' ? 3 : 4));
/** `--set key=value` as an INI line of the [gossip] section. */
const asIniLine = (setting: string): string => setting.replace('=', ' = ');
const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** RSS of every node, sampled once a second. */
class RssSampler {
  readonly series: Array<Array<[number, number]>>;
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(private readonly cluster: SoakCluster) {
    this.series = cluster.daemons.map(() => []);
    this.timer = setInterval(() => this.sample(), 1_000);
    this.sample();
  }

  sample(): void {
    const t = (Date.now() - this.started) / 1000;
    this.cluster.daemons.forEach((d, i) => this.series[i]!.push([t, rssOf(d.process.pid) / 2 ** 20]));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  latest(i: number): number {
    return this.series[i]!.at(-1)?.[1] ?? 0;
  }
}

async function waitForMesh(cluster: SoakCluster): Promise<void> {
  const want = cluster.daemons.length - 1;
  for (let waited = 0; waited < 60_000; waited += MESH_POLL_MS) {
    const links = await Promise.all(
      cluster.daemons.map(async (d) => sumOf(await metricsOf(d.index), 'gossip_peers', { state: 'active' })),
    );
    if (links.every((n) => n >= want)) return log(`mesh formed: active links ${links.join(' ')}`);
    await sleep(MESH_POLL_MS);
  }
  log('warning: the mesh did not form completely within 60 s; going on');
}

/** Per node: receive-queue KiB (api/p2p), P2P send KiB (socket included), gate shuts so far. */
async function queueLine(cluster: SoakCluster): Promise<string> {
  const parts = await Promise.all(
    cluster.daemons.map(async (d) => {
      const s = await metricsOf(d.index).catch(() => []);
      const kib = (server: string, queue: string) =>
        (sumOf(s, 'gossip_queue_bytes', { server, queue }) / 1024).toFixed(0);
      return `n${d.index} rq ${kib('api', 'receive')}/${kib('p2p', 'receive')} KiB, p2p sq ${kib('p2p', 'send')} KiB, gate shut ${sumOf(s, 'gossip_flow_gate_shut_total')}`;
    }),
  );
  return parts.join(' | ');
}

/** Per node: validation records, awaiting, API send KiB, V8 heap MB. */
async function stateLine(cluster: SoakCluster): Promise<string> {
  const parts = await Promise.all(
    cluster.daemons.map(async (d) => {
      const s = await metricsOf(d.index).catch(() => []);
      const state = (what: string) => sumOf(s, 'gossip_state_size', { what });
      const apiSend = sumOf(s, 'gossip_queue_bytes', { server: 'api', queue: 'send' }) / 1024;
      const heap = sumOf(s, 'nodejs_heap_size_used_bytes') / 2 ** 20;
      return `n${d.index} subscribed ${state('subscribed_connections')} records ${state('validation_records')} awaiting ${state('awaiting_validation')} api sq ${apiSend.toFixed(0)} KiB heap ${heap.toFixed(0)} MB`;
    }),
  );
  return parts.join(' | ');
}

async function dropsByReason(cluster: SoakCluster): Promise<Map<string, number[]>> {
  const byReason = new Map<string, number[]>();
  for (const daemon of cluster.daemons) {
    const samples = await metricsOf(daemon.index).catch(() => []);
    for (const s of samples.filter((x) => x.name === 'gossip_items_dropped_total')) {
      const reason = s.labels.reason ?? '?';
      if (!byReason.has(reason))
        byReason.set(
          reason,
          cluster.daemons.map(() => 0),
        );
      byReason.get(reason)![daemon.index] = s.value;
    }
    for (const s of samples.filter((x) => x.name === 'gossip_tree_events_total' && x.value > 0)) {
      const event = `(tree: ${s.labels.event ?? '?'})`;
      if (!byReason.has(event))
        byReason.set(
          event,
          cluster.daemons.map(() => 0),
        );
      byReason.get(event)![daemon.index] = s.value;
    }
    for (const s of samples.filter((x) => x.name === 'gossip_links_closed_total')) {
      const reason = `(links closed: ${s.labels.reason ?? '?'})`;
      if (!byReason.has(reason))
        byReason.set(
          reason,
          cluster.daemons.map(() => 0),
        );
      byReason.get(reason)![daemon.index] = s.value;
    }
    const stalls = sumOf(samples, 'gossip_send_stalls_total');
    if (stalls > 0) {
      if (!byReason.has('(links closed: send stalled)'))
        byReason.set(
          '(links closed: send stalled)',
          cluster.daemons.map(() => 0),
        );
      byReason.get('(links closed: send stalled)')![daemon.index] = stalls;
    }
  }
  return byReason;
}

/** The bench process's own event-loop delay: probe latencies include it. */
const benchLoopDelay = monitorEventLoopDelay({ resolution: 10 });
benchLoopDelay.enable();

function printProbes(probes: ProbeResult): void {
  const sorted = ascending(probes.latencies);
  const expected = probes.sent * probes.receivers;
  log(
    `honest probes: ${sorted.length} of ${expected} delivered (${probes.sent} sent x ${probes.receivers} subscribers), ${probes.duplicates} delivered again (a late copy by another path, after the seen-set forgot the id)`,
  );
  if (sorted.length > 0) {
    log(
      `probe latency ms: p50 ${percentile(sorted, 50).toFixed(1)}  p99 ${percentile(sorted, 99).toFixed(1)}  max ${sorted.at(-1)!.toFixed(1)}`,
    );
  }
  if (probes.slowest.length > 0)
    log(`slowest probes [ms, to receiver #, sent at s]: ${JSON.stringify(probes.slowest.slice(0, 6))}`);
  log(`probes slower than 50 ms: ${probes.latencies.filter((ms) => ms > 50).length}`);
  log(
    `(event-loop delay ms of the probe process: p99 ${probes.loopDelayP99Ms.toFixed(1)}, max ${probes.loopDelayMaxMs.toFixed(1)}; of the bench process: p99 ${(benchLoopDelay.percentile(99) / 1e6).toFixed(1)}, max ${(benchLoopDelay.max / 1e6).toFixed(1)})`,
  );
}

async function printDrops(cluster: SoakCluster): Promise<void> {
  log('items dropped by reason, P2P links closed by reason, and tree events (per node):');
  for (const [reason, counts] of await dropsByReason(cluster)) log(`  ${reason.padEnd(30)} ${counts.join('  ')}`);
  for (const daemon of cluster.daemons) {
    const tail = daemon.stderr.trim().split('\n').slice(-5).join('\n    ');
    if (tail) log(`node ${daemon.index} logged (last lines, log_level warn):\n    ${tail}`);
  }
}

/**
 * CPU seconds per daemon (all its threads): what the run cost, which the machine's load
 * blurs far less than latencies. (Garbage-collection pauses are not shown: measured in wall
 * clock, they count the time a loaded machine or SIGSTOP kept the process off the CPU.)
 */
async function printCpu(cluster: SoakCluster): Promise<void> {
  for (const daemon of cluster.daemons) {
    const samples = await metricsOf(daemon.index).catch(() => []);
    const cpu = sumOf(samples, 'process_cpu_seconds_total');
    log(`node ${daemon.index} CPU ${cpu.toFixed(1)} s`);
  }
  // The flooder and the flood's subscribers share the 2 cores with the daemons.
  const { user, system } = process.cpuUsage();
  log(`bench process (clients) CPU ${((user + system) / 1e6).toFixed(1)} s`);
}

async function printRss(sampler: RssSampler, baseline: number[]): Promise<void> {
  for (const [i, points] of sampler.series.entries()) {
    const max = Math.max(...points.map(([, v]) => v));
    const heap = sumOf(await metricsOf(i).catch(() => []), 'nodejs_heap_size_used_bytes') / 2 ** 20;
    log(
      `node ${i} RSS MB: before traffic ${baseline[i]!.toFixed(0)}  max ${max.toFixed(0)}  end ${sampler.latest(i).toFixed(0)} (V8 heap used at end ${heap.toFixed(0)})`,
    );
  }
  writeFileSync(
    args.svg,
    linePlotSvg({
      title: `bench:soak (${mode}): resident memory per daemon`,
      xLabel: 'seconds',
      yLabel: 'RSS (MB)',
      series: sampler.series.map((points, i) => ({ label: `node ${i}`, points, color: COLORS[i % COLORS.length]! })),
      yRange: [0, Math.max(100, ...sampler.series.flat().map(([, v]) => v)) * 1.1],
    }),
  );
  log(`RSS plot written to ${args.svg}`);
}

/** Waits until the subscribers' counts stop moving for 3 s (at most `seconds`). */
/** Waits until `count` stops changing for 3 s, `seconds` at most. */
async function untilStable(count: () => Promise<number>, seconds: number): Promise<void> {
  let last = -1;
  for (let stable = 0, waited = 0; stable < 3 && waited < seconds; waited++) {
    const total = await count();
    stable = total === last ? stable + 1 : 0;
    last = total;
    await sleep(1_000);
  }
}

async function flood(cluster: SoakCluster, sampler: RssSampler, baseline: number[]): Promise<void> {
  const endpoints = cluster.daemons.map((d) => d.api);
  const items = Number(args.items);
  const subscribers = withFloodSubscribers
    ? await Promise.all(endpoints.slice(1).map((e) => CountingSubscriber.start(e, FLOOD_TYPE)))
    : [];
  // Without subscribers a flood item reaches a node when the node receives it, and is
  // counted there as dropped, `unsubscribed` (not delivered, not forwarded); the probes
  // have their subscriber, so they are not in that count.
  const received = async (): Promise<number[]> =>
    Promise.all(
      cluster.daemons
        .slice(1)
        .map(async (d) => sumOf(await metricsOf(d.index), 'gossip_items_dropped_total', { reason: 'unsubscribed' })),
    );
  const reached = async (): Promise<number[]> =>
    withFloodSubscribers ? subscribers.map((s) => s.seen.size) : received();
  const prober = await startProbeProcess(endpoints[1]!, [endpoints[2]!], 10, PROBE_TYPE);
  await sleep(300);
  const flooder = new Flooder(FLOOD_TYPE, 64);
  const started = Date.now();
  const watch = setInterval(() => void queueLine(cluster).then(log), 1_000);
  await flooder.run(endpoints[0]!, items);
  clearInterval(watch);
  const writtenMs = Date.now() - started;
  log(
    `flood: ${items} items written in ${writtenMs} ms (${Math.round((items / writtenMs) * 1000)}/s as TCP let the client)`,
  );
  await untilStable(async () => (await reached()).reduce((sum, n) => sum + n, 0), 60);
  const probes = await prober.stop();
  const accepted = sumOf(await metricsOf(0), 'gossip_items_announced_total');
  log(
    `node 0 accepted ${accepted} of ${items}; ${withFloodSubscribers ? 'delivered to the subscribers' : 'received (no subscriber of the flood)'} on nodes 1..${nodes - 1}: ${(await reached()).join(', ')}`,
  );
  printProbes(probes);
  await printDrops(cluster);
  await printCpu(cluster);
  await printRss(sampler, baseline);
  for (const s of subscribers) s.close();
}

async function soak(cluster: SoakCluster, sampler: RssSampler, baseline: number[]): Promise<void> {
  const durationMs = Number(args.duration) * 1000;
  const endpoints = cluster.daemons.map((d) => d.api);
  const stalled = cluster.daemons.at(-1)!;
  const floodSubscribers = await Promise.all([1, 2].map((i) => CountingSubscriber.start(endpoints[i]!, FLOOD_TYPE)));
  const deaf = await nonReadingSubscriber(endpoints[1]!, FLOOD_TYPE);
  const prober = await startProbeProcess(endpoints[1]!, [endpoints[0]!, endpoints[2]!], 20, PROBE_TYPE);
  const flooder = new Flooder(FLOOD_TYPE, 64);
  const crashers = new CrashingClients();
  void flooder.run(endpoints[0]!);
  void crashers.run(endpoints[2]!, CRASH_TYPE, 20);
  const started = Date.now();
  let stopped = false;
  while (Date.now() - started < durationMs) {
    const elapsed = (Date.now() - started) / 1000;
    const shouldStop = elapsed % 35 < 25;
    if (shouldStop !== stopped) {
      stalled.process.kill(shouldStop ? 'SIGSTOP' : 'SIGCONT');
      stopped = shouldStop;
    }
    if (Math.round(elapsed) % 10 === 0) {
      log(`  ${await stateLine(cluster)}`);
      const rss = cluster.daemons.map((_, i) => sampler.latest(i).toFixed(0)).join(' ');
      log(
        `t=${elapsed.toFixed(0)}s RSS MB ${rss} | flood written ${flooder.written} | crashes ${crashers.crashes} | node ${stalled.index} ${stopped ? 'stopped' : 'running'}`,
      );
    }
    await sleep(1_000);
  }
  flooder.stop();
  crashers.stop();
  const probes = await prober.stop();
  stalled.process.kill('SIGCONT');
  await untilStable(() => Promise.resolve(floodSubscribers.reduce((sum, s) => sum + s.seen.size, 0)), 20);
  const accepted = sumOf(await metricsOf(0), 'gossip_items_announced_total', {});
  log(
    `flood: ${flooder.written} items written by the client, ${accepted} announced at node 0 (flood + probes' none: probes are on node 1); flood subscribers got ${floodSubscribers.map((s) => s.seen.size).join(', ')}`,
  );
  printProbes(probes);
  await printDrops(cluster);
  await printCpu(cluster);
  await printRss(sampler, baseline);
  log(`state at the end (subscribed connections include the bench's own 4 or 5 clients): ${await stateLine(cluster)}`);
  deaf.destroy();
  for (const s of floodSubscribers) s.close();
}

async function main(): Promise<void> {
  const settings = args.set.length > 0 ? ` (${args.set.join(', ')})` : '';
  log(
    `bench:soak mode ${mode}, ${nodes} daemons${settings}${mode === 'soak' ? `, ${args.duration} s` : `, ${args.items} items${withFloodSubscribers ? '' : ', no subscriber of the flood'}`}`,
  );
  const cluster = await startSoakCluster(nodes, nodes - 1, undefined, args.set.map(asIniLine));
  try {
    await waitForMesh(cluster);
    const baseline = cluster.daemons.map((d) => rssOf(d.process.pid) / 2 ** 20);
    const sampler = new RssSampler(cluster);
    try {
      await (mode === 'flood' ? flood(cluster, sampler, baseline) : soak(cluster, sampler, baseline));
    } finally {
      sampler.stop();
    }
  } finally {
    await cluster.close();
  }
}

await main();
process.exit(0);
