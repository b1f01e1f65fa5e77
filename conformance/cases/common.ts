/**
 * Building blocks shared by the case files: "this frame closes the connection", and the
 * two-hop path 1 → 0 → 2 through node 0 (what `--spawn` sets up with degree = 1) used to see
 * whether node 0 forwards an item.
 */
import { FramedSocket } from '../../runtime/api/api-client.js';
import { hex } from '../bytes.js';
import { announceFrom, describeItem, settle, Subscriber, type Answer } from '../observe.js';
import { fail, pass, type CaseContext, type NodeInfo, type Outcome } from '../types.js';

/** Sends `bytes` on a new connection to `endpoint`; PASS when the node closes it (§1). */
export async function expectClose(context: CaseContext, endpoint: NodeInfo['api'], bytes: Uint8Array): Promise<Outcome> {
  const socket = context.track(await FramedSocket.connect(endpoint));
  socket.write(bytes);
  if (await socket.waitClosed(context.settings.waitMs)) return pass();
  return fail({
    message: 'the connection stayed open',
    sent: hex(bytes),
    expected: 'the node closes this connection',
    got: `still open after ${context.settings.waitMs} ms${socket.pending().length ? `; received ${socket.pending().map((f) => hex(f)).join(', ')}` : ''}`,
  });
}

export interface TwoHop {
  readonly hub: Subscriber[];
  readonly far: Subscriber;
  readonly dataType: number;
}

/** Subscribers for one fresh type: on node 0 (one per answer) and on node 2 (valid). */
export async function twoHop(context: CaseContext, hubAnswers: Answer[], dataType = context.freshDataType()): Promise<TwoHop> {
  const hubNode = context.nodes[0]!;
  const farNode = context.nodes[2]!;
  const hub = await Promise.all(hubAnswers.map((answer) => Subscriber.open(context, hubNode, [dataType], answer)));
  const far = await Subscriber.open(context, farNode, [dataType], 'valid');
  await settle();
  return { hub, far, dataType };
}

/** Announces a fresh item of `path.dataType` on node 1; returns it. */
export async function announceOnNode1(context: CaseContext, dataType: number, ttl = 0): Promise<{ ttl: number; dataType: number; data: Uint8Array }> {
  const item = { ttl, dataType, data: context.freshData() };
  await announceFrom(context, context.nodes[1]!, item);
  return item;
}

/**
 * Control for the negative two-hop cases: an item answered valid at node 0 reaches node 2.
 * Without that path the case cannot tell anything and is skipped (api/3.1/forward-after-valid
 * fails on its own then).
 */
export const NO_PATH =
  'no two-hop delivery 1 → 0 → 2 was seen even with valid=1 at node 0 (see api/3.1/forward-after-valid; with --api, node 2 must reach node 1 only through node 0)';

export async function controlReaches(context: CaseContext, path: TwoHop): Promise<boolean> {
  const item = await announceOnNode1(context, path.dataType);
  return (await path.far.waitFor(item.data, context.settings.waitMs)) !== null;
}

/** FAIL: node 2 got an item that node 0 must not have forwarded. */
export function forwardedAnyway(item: { ttl: number; dataType: number; data: Uint8Array }, why: string): Outcome {
  return fail({
    message: `node 2 received the item although ${why}`,
    sent: `ANNOUNCE on node 1: ${describeItem(item)}`,
    expected: 'no NOTIFICATION on node 2',
    got: 'a NOTIFICATION of that item on node 2',
  });
}

/** Waits `ms` and reports whether `subscriber` got `data` meanwhile. */
export async function arrivesWithin(subscriber: Subscriber, data: Uint8Array, ms: number): Promise<boolean> {
  return (await subscriber.waitFor(data, ms)) !== null;
}

/**
 * Whether node 2 got `item` although node 0 should have kept it: waits until node 0's first
 * subscriber was notified (so node 0 has decided), then watches node 2 for quietMs.
 */
export async function reachedFar(context: CaseContext, path: TwoHop, item: { data: Uint8Array }): Promise<boolean> {
  await path.hub[0]?.waitFor(item.data, context.settings.waitMs);
  return arrivesWithin(path.far, item.data, context.settings.quietMs);
}

/** FAIL: `item` never reached the subscriber `where` (e.g. 'to node 1') within `ms`. */
export function notDelivered(where: string, item: { ttl: number; dataType: number; data: Uint8Array }, ms: number, sent: string): Outcome {
  return fail({ message: `the item was not delivered ${where}`, sent, expected: `NOTIFICATION with ${describeItem(item)}`, got: `nothing within ${ms} ms` });
}
