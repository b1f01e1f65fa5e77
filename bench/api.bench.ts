/**
 * API throughput and latency (docs/protocol.md §3): ONE daemon, spawned from the
 * CLI as a user runs it (`node bin/gossip.js daemon -c <file>`, its own process, so that
 * latency includes two real loopback hops), N subscriber connections and one announcer in
 * this process. Each item carries its send time; a subscriber computes
 * ANNOUNCE→NOTIFICATION latency from it.
 *
 * - throughput: the announcer writes as fast as TCP lets it (it waits for 'drain'), items/s
 *   announced and notifications/s delivered across all subscribers;
 * - fixed rate: 1,000 items/s, p50/p99/max latency.
 *
 *   npm run bench:api [-- --subscribers 1,10,50 --seconds 3 --modes throughput,fixed --cpu-prof DIR]
 *
 * Targets: >= 50,000 notifications/s with 64 B items; p99 < 5 ms at 1,000 items/s.
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { frameSizeOf, GossipAnnounce, GossipNotification, GossipNotify, SIZE_FIELD_END } from '../generated/index.js';
import { DaemonProcess, sleep } from '../test/support/daemon-process.js';
import { cdfOnGrid, grid, percentile } from './net/stats.js';
import { linePlotSvg, type Series } from './net/svg-plot.js';

const DATA_TYPE = 4242;
/** Notifications each throughput run delivers in total (about 1–3 s each). */
const THROUGHPUT_NOTIFICATIONS = { 64: 300_000, 4096: 100_000 } as const;
const FIXED_RATE_PER_S = 1_000;
/** A run ends when every notification arrived, or nothing arrived for this long. */
const STALL_MS = 2_000;
const ITEM_SIZES = [64, 4096] as const;

const args = process.argv.slice(2);
function option(name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}
const SUBSCRIBER_COUNTS = (option('subscribers') ?? '1,10,50').split(',').map(Number);
const FIXED_RATE_SECONDS = Number(option('seconds') ?? 3);
const CPU_PROFILE_DIR = option('cpu-prof');
const MODES = (option('modes') ?? 'throughput,fixed').split(',');
if (
  SUBSCRIBER_COUNTS.some((n) => !Number.isInteger(n) || n < 1) ||
  !(FIXED_RATE_SECONDS > 0) ||
  MODES.some((m) => m !== 'throughput' && m !== 'fixed')
) {
  throw new Error('usage: bench:api [-- --subscribers 1,10,50 --seconds 3 --modes throughput,fixed --cpu-prof DIR]');
}

const progress = (line: string): void => void process.stderr.write(`[bench:api] ${line}\n`);

/** A subscriber that only parses frame boundaries and the send time in each item. */
class Subscriber {
  received = 0;
  latenciesMs: number[] = [];
  lastArrival = 0;
  private pending: Buffer = Buffer.alloc(0);

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
  }

  static async connect(daemon: DaemonProcess): Promise<Subscriber> {
    const socket = net.connect({ host: daemon.api.host, port: daemon.api.port, noDelay: true });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(GossipNotify.encode({ dataType: DATA_TYPE }));
    return new Subscriber(socket);
  }

  reset(): void {
    this.received = 0;
    this.latenciesMs = [];
  }

  private receive(chunk: Buffer): void {
    const now = performance.now();
    let buffer = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (buffer.length - offset >= SIZE_FIELD_END) {
      const size = frameSizeOf(buffer, offset);
      if (buffer.length - offset < size) break;
      // Our data starts with the send time.
      const { data } = GossipNotification.decode(buffer.subarray(offset, offset + size));
      this.latenciesMs.push(now - new DataView(data.buffer, data.byteOffset, data.byteLength).getFloat64(0));
      this.received++;
      offset += size;
    }
    buffer = buffer.subarray(offset);
    this.pending = buffer.length > 0 ? Buffer.from(buffer) : Buffer.alloc(0);
    this.lastArrival = now;
  }
}

let nextSequence = 0;
/** One ANNOUNCE frame carrying its send time and a sequence number (items must be unique, §4.4). */
function announceFrame(itemBytes: number): Uint8Array {
  const data = Buffer.alloc(itemBytes);
  data.writeDoubleBE(performance.now(), 0);
  data.writeUInt32BE(++nextSequence, 8);
  return GossipAnnounce.encode({ ttl: 1, dataType: DATA_TYPE, data }); // ttl 1: no peers here anyway
}

interface RunResult {
  subscribers: number;
  itemBytes: number;
  mode: 'throughput' | `${number}/s`;
  items: number;
  seconds: number;
  delivered: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  /** Every delivery's latency, ascending (for the plot). */
  latencies: number[];
}

/** When every subscriber has all `perSubscriber` items, or the time of the last arrival once they stall. */
async function waitDelivered(subscribers: Subscriber[], perSubscriber: number, started: number): Promise<number> {
  for (;;) {
    const delivered = subscribers.reduce((sum, s) => sum + s.received, 0);
    if (delivered >= perSubscriber * subscribers.length) return performance.now();
    const last = Math.max(started, ...subscribers.map((s) => s.lastArrival));
    if (performance.now() - last > STALL_MS) return last;
    await sleep(5);
  }
}

/** Waits until nothing arrived for a while, then zeroes the counters: runs never overlap. */
async function quiesce(subscribers: Subscriber[]): Promise<void> {
  while (performance.now() - Math.max(0, ...subscribers.map((s) => s.lastArrival)) < 300) await sleep(50);
  for (const subscriber of subscribers) subscriber.reset();
}

async function throughputRun(
  announcer: net.Socket,
  subscribers: Subscriber[],
  itemBytes: 64 | 4096,
): Promise<RunResult> {
  const items = Math.ceil(THROUGHPUT_NOTIFICATIONS[itemBytes] / subscribers.length);
  await quiesce(subscribers);
  const started = performance.now();
  const BATCH = 64;
  for (let sent = 0; sent < items; sent += BATCH) {
    const frames = Array.from({ length: Math.min(BATCH, items - sent) }, () => announceFrame(itemBytes));
    if (!announcer.write(Buffer.concat(frames))) await new Promise((resolve) => announcer.once('drain', resolve));
  }
  const finished = await waitDelivered(subscribers, items, started);
  return summarise('throughput', subscribers, itemBytes, items, (finished - started) / 1000);
}

async function fixedRateRun(announcer: net.Socket, subscribers: Subscriber[], itemBytes: number): Promise<RunResult> {
  const items = FIXED_RATE_PER_S * FIXED_RATE_SECONDS;
  await quiesce(subscribers);
  const started = performance.now();
  // Paced by the clock, one item per write, catching up if a timer fires late.
  for (let sent = 0; sent < items;) {
    const due = Math.floor(((performance.now() - started) / 1000) * FIXED_RATE_PER_S) + 1;
    while (sent < Math.min(due, items)) {
      announcer.write(announceFrame(itemBytes));
      sent++;
    }
    await sleep(1);
  }
  const finished = await waitDelivered(subscribers, items, started);
  return summarise(`${FIXED_RATE_PER_S}/s`, subscribers, itemBytes, items, (finished - started) / 1000);
}

function summarise(
  mode: RunResult['mode'],
  subscribers: Subscriber[],
  itemBytes: number,
  items: number,
  seconds: number,
): RunResult {
  const latencies = subscribers.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  return {
    subscribers: subscribers.length,
    itemBytes,
    mode,
    items,
    seconds,
    delivered: latencies.length,
    expected: items * subscribers.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    latencies,
  };
}

function describe(result: RunResult): string {
  const rate = (result.delivered / result.seconds).toFixed(0);
  const lost = result.delivered < result.expected ? ` (${result.expected - result.delivered} missing!)` : '';
  return `${result.mode} N=${result.subscribers} ${result.itemBytes} B: ${rate} notifications/s${lost}, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`;
}

function table(results: RunResult[]): string {
  const rows = [
    '| subscribers | item | load | items/s announced | notifications/s delivered | delivered | p50 ms | p99 ms | max ms |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    rows.push(
      `| ${r.subscribers} | ${r.itemBytes} B | ${r.mode} | ${Math.round(r.items / r.seconds).toLocaleString('en')} | ${Math.round(r.delivered / r.seconds).toLocaleString('en')} | ${r.delivered === r.expected ? 'all' : `${r.delivered}/${r.expected}`} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(1)} |`,
    );
  }
  return rows.join('\n');
}

const PLOT_PATH = 'docs/img/api-latency-cdf.svg';
const PLOT_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** CDF of ANNOUNCE→NOTIFICATION latency at the fixed rate, one line per run; returns its path. */
function writeLatencyPlot(runs: RunResult[]): string {
  const shortest = Math.max(0.01, Math.min(...runs.map((r) => r.latencies[0] ?? 1)));
  const longest = Math.max(...runs.map((r) => r.max).filter(Number.isFinite), 1);
  const logGrid = grid(shortest, longest, 200, 'log');
  const series = runs.map((r, index): Series => ({
    label: `${r.subscribers} sub, ${r.itemBytes} B`,
    color: PLOT_COLOURS[index % PLOT_COLOURS.length]!,
    ...(r.itemBytes > 64 ? { dash: '6 3' } : {}),
    points: cdfOnGrid(r.latencies, logGrid),
  }));
  writeFileSync(
    PLOT_PATH,
    linePlotSvg({
      title: `ANNOUNCE→NOTIFICATION latency at ${FIXED_RATE_PER_S} items/s (CDF)`,
      xLabel: 'ms (log scale)',
      yLabel: 'fraction of notifications',
      xScale: 'log',
      xRange: [shortest, longest],
      series,
    }),
  );
  return PLOT_PATH;
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  // The load average says how much other work shared the cores: latency tails follow it.
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  console.log(
    `bench:api: ${cores} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load average ${load}, node ${process.version}; daemon spawned from the CLI, clients in this process, loopback`,
  );
  const results: RunResult[] = [];
  const total = SUBSCRIBER_COUNTS.length * ITEM_SIZES.length * MODES.length;
  for (const count of SUBSCRIBER_COUNTS) {
    // One daemon per subscriber count, so that runs do not inherit each other's state.
    const daemon = await DaemonProcess.start({
      gossip: { log_level: 'info', cache_size: 50 }, // info: startup lines only, nothing per item
      nodeArgs: CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [],
    });
    try {
      const subscribers = await Promise.all(Array.from({ length: count }, () => Subscriber.connect(daemon)));
      const announcer = net.connect({ host: daemon.api.host, port: daemon.api.port, noDelay: true });
      await new Promise((resolve) => announcer.once('connect', resolve));
      await sleep(200); // the NOTIFYs are handled
      for (const itemBytes of ITEM_SIZES) {
        for (const mode of MODES) {
          const result =
            mode === 'throughput'
              ? await throughputRun(announcer, subscribers, itemBytes)
              : await fixedRateRun(announcer, subscribers, itemBytes);
          results.push(result);
          progress(`[${results.length}/${total}] ${describe(result)}`);
        }
      }
      announcer.destroy();
      for (const subscriber of subscribers) subscriber.socket.destroy();
    } finally {
      const status = await daemon.stop();
      if (status.code !== 0) progress(`daemon exited with ${JSON.stringify(status)}: ${daemon.errorOutput.trim()}`);
    }
  }
  console.log(`\n${table(results)}\n`);
  if (MODES.includes('fixed'))
    console.log(`latency plot: ${writeLatencyPlot(results.filter((r) => r.mode !== 'throughput'))}`);
  console.log(
    `load average at the end: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  if (!MODES.includes('throughput') || !MODES.includes('fixed')) return;
  const best64 = Math.max(
    ...results.filter((r) => r.itemBytes === 64 && r.mode === 'throughput').map((r) => r.delivered / r.seconds),
  );
  const worstP99 = Math.max(...results.filter((r) => r.mode !== 'throughput').map((r) => r.p99));
  console.log(
    `targets: >= 50,000 notifications/s with 64 B items: ${best64 >= 50_000 ? 'met' : 'MISSED'} (best ${Math.round(best64)}/s);` +
      ` p99 < 5 ms at ${FIXED_RATE_PER_S} items/s: ${worstP99 < 5 ? 'met' : 'MISSED'} (worst ${worstP99.toFixed(2)} ms)`,
  );
}

await main();
