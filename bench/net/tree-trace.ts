/**
 * A trace of the broadcast tree forming (docs/protocol.md §4.8) in N in-process daemons under
 * bench:net's workload: every 100 ms the links eager at both ends (edges, pieces, cycles,
 * links eager at one end only), and every change of a link's mode with its cause (a duplicate
 * of which item, a GRAFT, a PRUNE, a new payload over a lazy link), so that a tree that does
 * not settle shows why.
 *
 *   npx tsx bench/net/tree-trace.ts [--nodes 50] [--degree 8] [--items 200] [--interval-ms 50]
 *                                   [--seed 1] [--stall-ms 0] [--stall-every-ms 40] [--events]
 *                                   [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { Connection } from '../../runtime/core/connection.js';
import { makeItem } from '../../runtime/core/item.js';
import type { Daemon } from '../../runtime/daemon.js';
import { Dissemination } from '../../runtime/p2p/tree/dissemination.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { sleep, startNetwork } from '../../test/support/network.js';
import { BENCH_NODE_SETTINGS, type BenchCluster } from './cluster.js';
import { DATA_TYPE } from './form-network.js';
import { waitForStableLinks } from './stable-links.js';
import { Workload } from './workload.js';

const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const at = argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(argv[at + 1]);
};
const nodes = flag('nodes', 50);
const degree = flag('degree', 8);
const items = flag('items', 200);
const intervalMs = flag('interval-ms', 50);
const seed = flag('seed', 1);
const printEvents = argv.includes('--events');
// A loaded machine, reproducibly: every `stallEvery` ms the event loop is blocked for `stall` ms
// (Atomics.wait: no CPU burnt), so the daemons get (stallEvery − stall) / stallEvery of a thread.
const stall = flag('stall-ms', 0);
const stallEvery = flag('stall-every-ms', 40);
const jsonAt = argv.indexOf('--json');

interface TraceEvent {
  readonly at: number;
  readonly node: number;
  readonly peer: number;
  readonly what: string;
}
const events: TraceEvent[] = [];
const duplicateTimes: number[] = [];
const owners = new Map<Dissemination, number>();
const peerIndex = new Map<Connection, number>();
let daemons: Daemon[] = [];
let t0 = performance.now();
const now = (): number => Math.round(performance.now() - t0);
const shortId = (id: string): string => Buffer.from(id, 'latin1').toString('hex').slice(0, 6);

function record(self: Dissemination, peer: Connection, what: string): void {
  events.push({ at: now(), node: owners.get(self) ?? -1, peer: peerIndex.get(peer) ?? -1, what });
}

// Hooks: each mode change with its cause.
const proto = Dissemination.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
const arrived = proto.arrived!;
proto.arrived = function (this: Dissemination, peer: unknown, id: unknown, ttl: unknown, isNew: unknown) {
  const link = peer as Connection;
  if (!isNew) duplicateTimes.push(now());
  const before = this.modeOf(link);
  const result = arrived.call(this, peer, id, ttl, isNew);
  const after = this.modeOf(link);
  if (before !== after) record(this, link, `${isNew ? 'new' : 'dup'} ${shortId(id as string)}: ${before}->${after}`);
  return result;
};
for (const name of ['graft', 'prune', 'sendGraft']) {
  const original = proto[name]!;
  proto[name] = function (this: Dissemination, peer: unknown, ids: unknown) {
    const link = peer as Connection;
    const before = this.modeOf(link);
    const result = original.call(this, peer, ids);
    const count = Array.isArray(ids) ? ` ${ids.length} ids` : '';
    record(this, link, `${name}${count}: ${before}->${this.modeOf(link)}`);
    return result;
  };
}

const keyOf = (d: Daemon): string => `${d.p2p.address}:${d.p2p.port}`;

function mapLinks(): void {
  const index = new Map(daemons.map((d, i) => [keyOf(d), i] as const));
  daemons.forEach((d, i) => {
    owners.set(d.overlay.dissemination, i);
    for (const link of d.overlay.activeLinks) {
      const to = link.listenAddress ? index.get(`${link.listenAddress.host}:${link.listenAddress.port}`) : undefined;
      if (to !== undefined) peerIndex.set(link.connection, to);
    }
  });
}

/** Every active link once, as [a, b] with a < b. */
function shapeLinks(): [number, number][] {
  const all = new Map<string, [number, number]>();
  daemons.forEach((d, from) => {
    for (const link of d.overlay.activeLinks) {
      const to = peerIndex.get(link.connection);
      if (to !== undefined)
        all.set(`${Math.min(from, to)}-${Math.max(from, to)}`, [Math.min(from, to), Math.max(from, to)]);
    }
  });
  return [...all.values()];
}

interface Shape {
  readonly at: number;
  readonly links: number;
  readonly eager: number;
  readonly oneSided: number;
  readonly pieces: number;
  readonly cycles: number;
}

function shape(): Shape {
  const ends = new Map<string, number>();
  const all = new Set<string>();
  daemons.forEach((d, from) => {
    for (const link of d.overlay.activeLinks) {
      const to = peerIndex.get(link.connection);
      if (to === undefined) continue;
      const key = from < to ? `${from}-${to}` : `${to}-${from}`;
      all.add(key);
      if (d.overlay.dissemination.modeOf(link.connection) === 'eager') ends.set(key, (ends.get(key) ?? 0) + 1);
    }
  });
  const parent = daemons.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  let eager = 0;
  let oneSided = 0;
  for (const [key, count] of ends) {
    if (count === 1) oneSided++;
    if (count < 2) continue;
    eager++;
    const [a, b] = key.split('-').map(Number) as [number, number];
    parent[find(a)] = find(b);
  }
  const pieces = new Set(daemons.map((_, i) => find(i))).size;
  return { at: now(), links: all.size, eager, oneSided, pieces, cycles: eager - daemons.length + pieces };
}

async function main(): Promise<void> {
  const network = await startNetwork({
    nodes,
    config: { ...BENCH_NODE_SETTINGS, dissemination: 'tree', degree, powDifficulty: 6 },
  });
  daemons = network.daemons.filter((d): d is Daemon => d !== null);
  const cluster = {
    counters: () => Promise.resolve(daemons.map((d) => ({ activeLinks: d.overlay.activeLinks.length }))),
  } as unknown as BenchCluster;
  await waitForStableLinks(cluster, degree, 60_000);
  mapLinks();
  const workload = await Workload.connect(
    daemons.map((d) => `${d.api.address}:${d.api.port}`),
    { items, intervalMs, payloadBytes: 64, deliveryTimeoutMs: 15_000, random: seededRandom(seed), dataType: DATA_TYPE },
  );
  const reach = await workload.warmUp(3_000);
  await sleep(200);
  t0 = performance.now();
  events.length = 0;
  duplicateTimes.length = 0;
  const shapes: Shape[] = [shape()];
  const sampler = setInterval(() => shapes.push(shape()), 100);
  const blocker = new Int32Array(new SharedArrayBuffer(4));
  const staller = stall > 0 ? setInterval(() => Atomics.wait(blocker, 0, 0, stall), stallEvery) : null;
  const result = await workload.run(() => undefined);
  await sleep(1_500);
  clearInterval(sampler);
  if (staller) clearInterval(staller);
  shapes.push(shape());
  const lastP = result.latenciesByItem.map((l) => l[l.length - 1] ?? Infinity);
  console.log(
    `reach ${reach}/${nodes}; delivered ${result.deliveries}/${items * nodes}; load ${loadavg()[0]!.toFixed(1)}`,
  );
  for (const s of shapes.filter((_, i) => i % 5 === 0 || i === shapes.length - 1))
    console.log(
      `t=${s.at} ms: ${s.links} links, eager ${s.eager} (+${s.oneSided} one-sided), pieces ${s.pieces}, cycles ${s.cycles}`,
    );
  const kinds = new Map<string, number>();
  for (const e of events) {
    const kind = e.what.replace(/^(new|dup) [0-9a-f]+/, '$1').replace(/ \d+ ids/, '');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  console.log('mode changes by cause:', Object.fromEntries(kinds));
  console.log('last delivery per item (ms):', lastP.map((v) => Math.round(v)).join(' '));
  // The last 40 % of the items: has the tree settled (no duplicates, no pulls)?
  const tailFrom = Math.round(result.announcedAt[Math.floor(items * 0.6)]! - t0);
  const sorted = [...lastP].sort((a, b) => a - b);
  const summary = {
    duplicatesPerNodeItem: duplicateTimes.length / nodes / items,
    tailDuplicatesPerNodeItem:
      duplicateTimes.filter((t) => t >= tailFrom).length / nodes / (items - Math.floor(items * 0.6)),
    grafts: events.filter((e) => e.what.startsWith('sendGraft')).length,
    tailGrafts: events.filter((e) => e.what.startsWith('sendGraft') && e.at >= tailFrom).length,
    maxPieces: Math.max(...shapes.map((s) => s.pieces)),
    endEager: shapes.at(-1)!.eager,
    p50: Math.round(sorted[Math.floor(items / 2)]!),
    p99: Math.round(sorted[Math.floor(items * 0.99)]!),
    load: Number(loadavg()[0]!.toFixed(1)),
  };
  console.log('SUMMARY', JSON.stringify(summary));
  if (printEvents) for (const e of events) console.log(`${e.at} ${e.node}<-${e.peer} ${e.what}`);
  // Which item each short id is (the workload's second run tag: the warm-up item had the first).
  const itemOf: Record<string, number> = {};
  for (let n = 0; n < items; n++) {
    const data = Buffer.alloc(64, 0x2e);
    data.writeUInt32BE(2, 0);
    data.writeUInt32BE(n, 4);
    itemOf[shortId(makeItem(DATA_TYPE, data).id)] = n;
  }
  const announcedAt = result.announcedAt.map((at) => Math.round(at - t0));
  const links = shapeLinks();
  if (jsonAt >= 0)
    writeFileSync(argv[jsonAt + 1]!, JSON.stringify({ shapes, events, lastP, itemOf, announcedAt, links }));
  workload.close();
  await network.close();
}

await main();
