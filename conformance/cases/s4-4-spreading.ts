/**
 * docs/protocol.md §4.4 Spreading, seen from two verified suite peers A and B linked to the same
 * node (so that node needs max_peers ≥ 3 with its own neighbour): pushes go to every link
 * but the one an item came from, ttl is decremented, ttl 1 stops, duplicates are dropped.
 */
import { GossipAnnounce, MessageType } from '../../runtime/entry/codec.js';
import { frameType } from '../../runtime/entry/client.js';
import { equalBytes, hex } from '../bytes.js';
import { announceFrom, describeItem, settle, Subscriber } from '../observe.js';
import type { SuitePeer } from '../peer.js';
import { fail, pass, skip, type CaseContext, type ConformanceCase, type Outcome } from '../types.js';
import { activeLink, isOutcome, type OpenLink } from './p2p-common.js';

type Item = { ttl: number; dataType: number; data: Uint8Array };

/** The next ANNOUNCE carrying `data` on `peer`'s link, or null after `timeoutMs`. */
function pushed(peer: SuitePeer, data: Uint8Array, timeoutMs: number): Promise<Uint8Array | null> {
  return peer.socket.take(
    timeoutMs,
    (frame) => frameType(frame) === MessageType.GOSSIP_ANNOUNCE && equalBytes(frame.subarray(8), data),
  );
}

/** Two active suite links to the target and a valid-answering subscriber there. */
async function twoLinks(
  context: CaseContext,
): Promise<{ a: OpenLink; b: OpenLink; subscriber: Subscriber; dataType: number } | Outcome> {
  const a = await activeLink(context);
  if (isOutcome(a)) return a;
  const b = await activeLink(context);
  if (isOutcome(b)) return b;
  const dataType = context.freshDataType();
  const subscriber = await Subscriber.open(context, a.target, [dataType]);
  await settle();
  return { a, b, subscriber, dataType };
}

const gone = (link: OpenLink): boolean => link.peer.socket.isClosed;
const LINK_CLOSED = 'the node closed one of the suite links (its max_peers may be below 3: --set max_peers=8)';

export const spreadingCases: ConformanceCase[] = [
  {
    id: 'p2p/4.4/local-item-pushed',
    group: 'p2p',
    section: '4.4',
    requirement: 'An item announced by a local module is pushed at once to every active link, reserved byte 0.',
    minNodes: 1,
    async run(context) {
      const link = await activeLink(context);
      if (isOutcome(link)) return link;
      const item = { ttl: 3, dataType: context.freshDataType(), data: context.freshData() };
      await announceFrom(context, link.target, item);
      const frame = await pushed(link.peer, item.data, context.settings.waitMs);
      const expected = `ANNOUNCE with reserved 0, data_type ${item.dataType}, that data, ttl 3 or 2`;
      if (!frame)
        return fail({
          message: 'the locally announced item was not pushed to the suite',
          sent: `ANNOUNCE on node ${link.target.index}'s API: ${describeItem(item)}`,
          expected,
          got: `nothing within ${context.settings.waitMs} ms`,
        });
      const isRight =
        frame[5] === 0 && Buffer.from(frame).readUInt16BE(6) === item.dataType && (frame[4] === 3 || frame[4] === 2);
      return isRight
        ? pass()
        : fail({
            message: 'the pushed ANNOUNCE differs from the item',
            sent: describeItem(item),
            expected,
            got: hex(frame),
          });
    },
  },
  {
    id: 'p2p/4.4/ttl-decremented',
    group: 'p2p',
    section: '4.4',
    requirement: 'An item forwarded from peer A to peer B carries ttl − 1 (ttl 3 arrives as 2).',
    minNodes: 1,
    async run(context) {
      const setup = await twoLinks(context);
      if (isOutcome(setup)) return setup;
      const item: Item = { ttl: 3, dataType: setup.dataType, data: context.freshData() };
      setup.a.peer.send('ANNOUNCE from A', GossipAnnounce.encode(item));
      const frame = await pushed(setup.b.peer, item.data, context.settings.waitMs);
      if (frame && frame[4] === 2) return pass();
      if (!frame && (gone(setup.a) || gone(setup.b))) return skip(LINK_CLOSED);
      return fail({
        message: frame ? 'the forwarded ttl is wrong' : 'the item was not forwarded to peer B',
        sent: `on link A: ${hex(GossipAnnounce.encode(item))}`,
        expected: 'ANNOUNCE on link B with ttl 2',
        got: frame ? hex(frame) : `nothing within ${context.settings.waitMs} ms`,
      });
    },
  },
  {
    id: 'p2p/4.4/ttl-1-not-forwarded',
    group: 'p2p',
    section: '4.4',
    requirement: 'An item that arrived with ttl 1 is delivered locally but not forwarded.',
    minNodes: 1,
    async run(context) {
      const setup = await twoLinks(context);
      if (isOutcome(setup)) return setup;
      const item: Item = { ttl: 1, dataType: setup.dataType, data: context.freshData() };
      setup.a.peer.send('ANNOUNCE from A', GossipAnnounce.encode(item));
      await setup.subscriber.waitFor(item.data, context.settings.waitMs);
      const frame = await pushed(setup.b.peer, item.data, context.settings.quietMs);
      if (!frame) return pass();
      return fail({
        message: 'an item that arrived with ttl 1 was forwarded',
        sent: `on link A: ${hex(GossipAnnounce.encode(item))}`,
        expected: 'nothing on link B',
        got: hex(frame),
      });
    },
  },
  {
    id: 'p2p/4.4/not-sent-back',
    group: 'p2p',
    section: '4.4',
    requirement: 'An item is pushed to every active link except the one it came from.',
    minNodes: 1,
    async run(context) {
      const setup = await twoLinks(context);
      if (isOutcome(setup)) return setup;
      const item: Item = { ttl: 0, dataType: setup.dataType, data: context.freshData() };
      setup.a.peer.send('ANNOUNCE from A', GossipAnnounce.encode(item));
      const atB = await pushed(setup.b.peer, item.data, context.settings.waitMs);
      const back = await pushed(setup.a.peer, item.data, context.settings.quietMs);
      if (back)
        return fail({
          message: 'the item was pushed back to the peer it came from',
          sent: `on link A: ${hex(GossipAnnounce.encode(item))}`,
          expected: 'nothing on link A',
          got: hex(back),
        });
      if (!atB)
        return skip(
          gone(setup.b) ? LINK_CLOSED : 'the item was not forwarded to B either (see p2p/4.4/ttl-decremented)',
        );
      return pass();
    },
  },
  {
    id: 'p2p/4.4/duplicate-dropped',
    group: 'p2p',
    section: '4.4',
    requirement: 'A node handles each item once: the same item from two peers is notified once.',
    minNodes: 1,
    async run(context) {
      const setup = await twoLinks(context);
      if (isOutcome(setup)) return setup;
      const item: Item = { ttl: 0, dataType: setup.dataType, data: context.freshData() };
      const frame = GossipAnnounce.encode(item);
      setup.a.peer.send('ANNOUNCE from A', frame);
      if (!(await setup.subscriber.waitFor(item.data, context.settings.waitMs)))
        return skip('the first copy was not delivered (see p2p/4.2/handshake-completes)');
      setup.b.peer.send('the same ANNOUNCE from B', frame);
      setup.a.peer.send('the same ANNOUNCE from A again', frame);
      await new Promise((resolve) => setTimeout(resolve, context.settings.quietMs));
      const count = setup.subscriber.count(item.data);
      if (count === 1) return pass();
      return fail({
        message: 'a duplicate item was notified again',
        sent: `${hex(frame)} from A, then from B and A again`,
        expected: '1 NOTIFICATION',
        got: `${count} NOTIFICATIONs`,
      });
    },
  },
];
