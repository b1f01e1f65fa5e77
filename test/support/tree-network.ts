/**
 * Looking at the broadcast tree (docs/protocol.md §4.8) of an in-process test network: who is
 * linked to whom, which links are eager at both ends, hop distances, and one round of items
 * announced from random nodes with every node's subscriber counting what arrives.
 */
import { ApiClient } from '../../runtime/api/api-client.js';
import type { Daemon } from '../../runtime/daemon.js';
import { metricTotal, sleep, waitFor } from './network.js';
import { apiOf, subscribe } from './subscribers.js';

export type Edge = readonly [number, number];

const keyOf = (daemon: Daemon): string => `${daemon.p2p.address}:${daemon.p2p.port}`;

/** Active links between live nodes, each once, by node index; `eagerOnly`: eager at both ends. */
export function edges(daemons: readonly (Daemon | null)[], eagerOnly = false): Edge[] {
  const index = new Map(daemons.flatMap((d, i) => (d ? [[keyOf(d), i] as const] : [])));
  const found = new Map<string, Edge>();
  const eagerEnds = new Set<string>();
  daemons.forEach((daemon, from) => {
    if (!daemon) return;
    for (const link of daemon.overlay.activeLinks) {
      const to = link.listenAddress ? index.get(`${link.listenAddress.host}:${link.listenAddress.port}`) : undefined;
      if (to === undefined) continue;
      const key = from < to ? `${from}-${to}` : `${to}-${from}`;
      found.set(key, from < to ? [from, to] : [to, from]);
      if (daemon.overlay.dissemination.modeOf(link.connection) === 'eager') eagerEnds.add(`${from}>${to}`);
    }
  });
  const all = [...found.values()];
  return eagerOnly ? all.filter(([a, b]) => eagerEnds.has(`${a}>${b}`) && eagerEnds.has(`${b}>${a}`)) : all;
}

/** Hops from `start` to every node over `links` (Infinity where unreachable; dead nodes too). */
export function distances(nodes: number, links: readonly Edge[], start: number): number[] {
  const hops = Array<number>(nodes).fill(Infinity);
  hops[start] = 0;
  const frontier = [start];
  while (frontier.length > 0) {
    const at = frontier.shift()!;
    for (const [a, b] of links) {
      const next = a === at ? b : b === at ? a : -1;
      if (next >= 0 && hops[next] === Infinity) {
        hops[next] = hops[at]! + 1;
        frontier.push(next);
      }
    }
  }
  return hops;
}

/** Live nodes, subscribed (answering valid) and with an announcing client each. */
export interface Audience {
  /** The data of every item each node's subscriber received, by node index (null: dead). */
  readonly inboxes: (Buffer[] | null)[];
  readonly announcers: (ApiClient | null)[];
  close(): void;
}

export async function audience(daemons: readonly (Daemon | null)[], dataType: number): Promise<Audience> {
  const clients: ApiClient[] = [];
  const inboxes: (Buffer[] | null)[] = [];
  const announcers: (ApiClient | null)[] = [];
  for (const daemon of daemons) {
    if (!daemon) {
      inboxes.push(null);
      announcers.push(null);
      continue;
    }
    const { client, received } = await subscribe(daemon, dataType);
    const announcer = await ApiClient.connect(apiOf(daemon));
    clients.push(client, announcer);
    inboxes.push(received);
    announcers.push(announcer);
  }
  return { inboxes, announcers, close: () => clients.forEach((client) => client.destroy()) };
}

/** Sum of the payload duplicates all live nodes counted (§4.4). */
export async function duplicates(daemons: readonly (Daemon | null)[]): Promise<number> {
  let total = 0;
  for (const daemon of daemons) if (daemon) total += await metricTotal(daemon.metrics.itemsDuplicate);
  return total;
}

/** A tree event summed over the live nodes (`gossip_tree_events_total{event}`). */
export async function treeEvents(daemons: readonly (Daemon | null)[], event: string): Promise<number> {
  let total = 0;
  for (const daemon of daemons) {
    if (!daemon) continue;
    for (const entry of (await daemon.metrics.treeEvents.get()).values)
      if (entry.labels.event === event) total += entry.value;
  }
  return total;
}

export interface Round {
  /** Payload duplicates over all nodes during the round. */
  readonly duplicates: number;
  /** Per live node: how many of the round's items arrived, and how many arrived twice. */
  readonly received: number[];
  readonly twice: number[];
}

/**
 * Announces `count` ttl-0 items, `gapMs` apart, each from `from(n)` (a live node), waits until
 * every other live node's subscriber got all of them, then lets late copies arrive.
 */
export async function round(
  daemons: readonly (Daemon | null)[],
  crowd: Audience,
  label: string,
  count: number,
  from: (n: number) => number,
  gapMs = 20,
): Promise<Round> {
  const before = await duplicates(daemons);
  const texts = Array.from({ length: count }, (_, n) => `${label} ${n}`);
  const sources = texts.map((_, n) => from(n));
  for (const [n, text] of texts.entries()) {
    crowd.announcers[sources[n]!]!.announce({ ttl: 0, dataType: DATA_TYPE, data: Buffer.from(text) });
    await sleep(gapMs);
  }
  // The announcing connection is not the subscriber, so the source's own subscriber gets it too (§3.1).
  const arrived = (inbox: Buffer[]) => texts.filter((text) => inbox.some((b) => b.toString() === text)).length;
  await waitFor(
    'every item at every node',
    () => crowd.inboxes.every((inbox) => !inbox || arrived(inbox) === count),
    20_000,
  );
  await sleep(300); // room for a late duplicate
  const live = crowd.inboxes.filter((inbox): inbox is Buffer[] => inbox !== null);
  return {
    duplicates: (await duplicates(daemons)) - before,
    received: live.map(arrived),
    twice: live.map((inbox) => texts.filter((text) => inbox.filter((b) => b.toString() === text).length > 1).length),
  };
}

/** The data type the tree tests announce. */
export const DATA_TYPE = 4343;
