/**
 * Building blocks shared by the case files: "this frame closes the connection", and the
 * two-hop path 1 → 0 → 2 through node 0 (what `--spawn` sets up with degree = 1) used to see
 * whether node 0 forwards an item.
 */
import { GossipAnnounce } from '../../runtime/entry/codec.js';
import { FramedSocket } from '../../runtime/entry/client.js';
import { hex } from '../bytes.js';
import { announceFrom, announcerOf, describeItem, settle, Subscriber, type Answer } from '../observe.js';
import { pathOf } from '../runner.js';
import { fail, pass, skip, type CaseContext, type NodeInfo, type ObservationPath, type Outcome } from '../types.js';
import { isAnnounceOf, suiteLinks } from './peer-path.js';

/** "closed 12 ms after the frame" or "reset 3 ms after the frame": how the node ended the connection. */
export function describeClose(socket: FramedSocket, sinceMs: number, what: string): string {
  const elapsed = Math.round(performance.now() - sinceMs);
  const reason = socket.closeReason ?? '';
  return /ECONNRESET|EPIPE/.test(reason) ? `reset ${elapsed} ms after ${what}` : `closed ${elapsed} ms after ${what}`;
}

/**
 * Sends `bytes` on a new connection to `endpoint`; PASS when the node closes it within
 * --wait (§1), saying how. When it stays open, the suite half-closes its side and says
 * whether the node acted only then ("handled only after the client closed").
 */
export async function expectClose(
  context: CaseContext,
  endpoint: NodeInfo['api'],
  bytes: Uint8Array,
  what = 'the frame',
): Promise<Outcome> {
  const socket = context.track(await FramedSocket.connect(endpoint));
  const sentAt = performance.now();
  socket.write(bytes);
  if (await socket.waitClosed(context.settings.waitMs)) return pass(describeClose(socket, sentAt, what));
  const received = socket.pending().length
    ? `; received ${socket
        .pending()
        .map((f) => hex(f))
        .join(', ')}`
    : '';
  const finAt = performance.now();
  socket.socket.end();
  const afterFin = await socket.waitClosed(Math.min(context.settings.waitMs, 1_000));
  return fail({
    message: afterFin
      ? `the connection stayed open until the client half-closed it (${what} was handled only after the client closed)`
      : 'the connection stayed open',
    sent: hex(bytes),
    expected: `the node closes this connection within ${context.settings.waitMs} ms`,
    got: `still open after ${context.settings.waitMs} ms${received}; ${afterFin ? describeClose(socket, finAt, 'our FIN') : `still open ${Math.round(performance.now() - finAt)} ms after our FIN too`}`,
  });
}

/**
 * Where to announce so that a subscriber on `node` is notified, by a path shown to work:
 * on `node` itself (local), on node 1 for node 0 (leaf → node 0), on node 0 for a leaf
 * (node 0 → leaves); null when no such path was shown. Cases about a rule every node must
 * keep (whole frames, no echo) check each node they can feed.
 */
export function feederFor(context: CaseContext, node: NodeInfo): NodeInfo | null {
  if (context.works('path:local')) return node;
  if (node.index === 0 && context.works('path:leaf-to-hub')) return context.nodes[1] ?? null;
  if (node.index > 0 && context.works('path:hub-to-leaves')) return context.nodes[0]!;
  return null;
}

/** Every node `feederFor` can feed, with its feeder; at least the case's own path. */
export function feeds(context: CaseContext): { observer: NodeInfo; feeder: NodeInfo }[] {
  const found = context.nodes.flatMap((node) => {
    const feeder = feederFor(context, node);
    return feeder ? [{ observer: node, feeder }] : [];
  });
  return found.length > 0 ? found : [{ observer: context.path.to, feeder: context.path.from }];
}

/** An item as the cases announce it. */
export interface Item {
  readonly ttl: number;
  readonly dataType: number;
  readonly data: Uint8Array;
}

/** Where a case watches for an item: a subscriber, or the far end of a two-hop path. */
export interface Far {
  waitFor(data: Uint8Array, timeoutMs: number): Promise<unknown>;
}

export interface TwoHop {
  readonly hub: Subscriber[];
  readonly far: Far;
  readonly dataType: number;
}

/** The two-hop path of the case (leaf → leaf, or suite peer → suite peer), default leaf → leaf. */
export function hopPath(context: CaseContext): ObservationPath {
  const path = context.twoHopPath ?? pathOf('path:leaf-to-leaf', context.nodes);
  if (!path) throw new Error('no two-hop path on this run (the runner should have skipped the case)');
  return path;
}

/** 'node 1' or 'suite peer A': where items enter the two-hop path. */
export function sourceName(context: CaseContext): string {
  return hopPath(context).fact === 'path:peer-to-peer'
    ? 'suite peer A (a §4 link to node 0)'
    : `node ${hopPath(context).from.index}`;
}

/** 'node 2' or 'suite peer B': where a forwarded item is seen. */
export function farName(context: CaseContext): string {
  return hopPath(context).fact === 'path:peer-to-peer'
    ? 'suite peer B (a §4 link to node 0)'
    : `node ${hopPath(context).to.index}`;
}

/** Watches the far end of the path for items of `dataType` (a suite peer sees every item). */
export async function farObserver(context: CaseContext, dataType: number): Promise<Far> {
  const path = hopPath(context);
  if (path.fact !== 'path:peer-to-peer') return Subscriber.open(context, path.to, [dataType], 'valid');
  const links = await suiteLinks(context);
  if (typeof links === 'string') throw new Error(links);
  return { waitFor: (data, timeoutMs) => links.b.socket.take(timeoutMs, (frame) => isAnnounceOf(frame, data)) };
}

/** Subscribers for one fresh type: on node 0 (one per answer) and at the far end (valid). */
export async function twoHop(
  context: CaseContext,
  hubAnswers: Answer[],
  dataType = context.freshDataType(),
): Promise<TwoHop> {
  const hubNode = context.nodes[0]!;
  const hub = await Promise.all(hubAnswers.map((answer) => Subscriber.open(context, hubNode, [dataType], answer)));
  const far = await farObserver(context, dataType);
  await settle();
  return { hub, far, dataType };
}

/** Announces a fresh item of `dataType` where the two-hop path starts (node 1, or suite peer A); returns it. */
export async function announceOnNode1(context: CaseContext, dataType: number, ttl = 0): Promise<Item> {
  const item = { ttl, dataType, data: context.freshData() };
  const path = hopPath(context);
  if (path.fact === 'path:peer-to-peer') {
    const links = await suiteLinks(context);
    if (typeof links === 'string') throw new Error(links);
    links.a.send('ANNOUNCE', GossipAnnounce.encode(item));
  } else {
    await announceFrom(context, path.from, item);
  }
  return item;
}

/**
 * Control for the negative two-hop cases: an item answered valid at node 0 reaches the far
 * end. Without that path the case cannot tell anything and is skipped.
 */
export const NO_PATH =
  'the control item (valid=1 at node 0) did not arrive at the far end of the two-hop path this time, although the path was shown to work before';

export async function controlReaches(context: CaseContext, path: TwoHop): Promise<boolean> {
  const item = await announceOnNode1(context, path.dataType);
  return (await path.far.waitFor(item.data, context.settings.waitMs)) !== null;
}

/** FAIL: the far end got an item that node 0 must not have forwarded. */
export function forwardedAnyway(context: CaseContext, item: Item, why: string): Outcome {
  return fail({
    message: `${farName(context)} received the item although ${why}`,
    sent: `ANNOUNCE on ${sourceName(context)}: ${describeItem(item)}`,
    expected: `the item not forwarded to ${farName(context)}`,
    got: `the item on ${farName(context)}`,
  });
}

/**
 * A two-hop case about what stops forwarding: node 0 gets one subscriber per answer; once a
 * control item they all called valid reached the far end, they answer `answers`, and the next
 * item must not be forwarded (FAIL `forwardedAnyway` … `why`; SKIP without the control).
 */
export async function stoppedByAnswers(
  context: CaseContext,
  answers: readonly Answer[],
  why: string,
): Promise<Outcome> {
  const allValid = answers.map((): Answer => 'valid');
  const path = await twoHop(context, allValid);
  if (!(await controlReaches(context, path))) return skip(NO_PATH);
  answers.forEach((answer, index) => path.hub[index]!.answerWith(answer));
  const item = await announceOnNode1(context, path.dataType);
  return (await reachedFar(context, path, item)) ? forwardedAnyway(context, item, why) : pass();
}

/** Waits `ms` and reports whether `far` got `data` meanwhile. */
export async function arrivesWithin(far: Far, data: Uint8Array, ms: number): Promise<boolean> {
  return (await far.waitFor(data, ms)) !== null;
}

/**
 * Whether the far end got `item` although node 0 should have kept it: waits until node 0's
 * first subscriber was notified (so node 0 has decided), then watches for quietMs.
 */
export async function reachedFar(context: CaseContext, path: TwoHop, item: { data: Uint8Array }): Promise<boolean> {
  await path.hub[0]?.waitFor(item.data, context.settings.waitMs);
  return arrivesWithin(path.far, item.data, context.settings.quietMs);
}

/** What the delivery cases call the subscriber on their path's observing node. */
const OBSERVER = 'to the subscriber on the observing node';

/** An item of a fresh type (ttl 0, `dataLength` bytes of fresh data) and a subscriber to it on the path's observing node. */
export async function observedItem(
  context: CaseContext,
  dataLength?: number,
): Promise<{ subscriber: Subscriber; item: Item }> {
  const dataType = context.freshDataType();
  const subscriber = await Subscriber.open(context, context.path.to, [dataType]);
  await settle();
  return { subscriber, item: { ttl: 0, dataType, data: context.freshData(dataLength) } };
}

/** PASS when `watcher` sees `item` within --wait; else notDelivered's FAIL (`where`: the observing node's subscriber). */
export async function expectDelivered(
  context: CaseContext,
  watcher: Far,
  item: Item,
  sent: string,
  where = OBSERVER,
): Promise<Outcome> {
  if (await watcher.waitFor(item.data, context.settings.waitMs)) return pass();
  return notDelivered(context, item, sent, where);
}

/**
 * FAIL: `item` never reached the subscriber `where` (e.g. 'to node 1') within --wait; says
 * whether the node closed the connection the item was announced on, and when.
 */
export function notDelivered(context: CaseContext, item: Item, sent: string, where = OBSERVER): Outcome {
  const announcer = announcerOf(context, item.data);
  const fate = announcer?.client.isClosed
    ? `; the node closed the announcing connection ${announcer.closedAfterMs ?? '?'} ms after the ANNOUNCE (${announcer.client.transport.closeReason})`
    : '';
  return fail({
    message: `the item was not delivered ${where}${fate ? ' (the node closed the announcing connection)' : ''}`,
    sent,
    expected: `a NOTIFICATION carrying ${describeItem({ dataType: item.dataType, data: item.data })}`,
    got: `nothing within ${context.settings.waitMs} ms${fate}`,
  });
}
