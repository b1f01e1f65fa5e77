/**
 * docs/protocol.md §1 on the API port, bad input: malformed frames close only their own
 * connection, a frame cut short is not handled, a half-closed announcer is still served, and
 * other connections keep working. Kept apart from s1-framing.ts so each file reads as one job.
 */
import { GossipAnnounce, MAX_FRAME_SIZE, MessageType } from '../../runtime/entry/codec.js';
import { FramedSocket } from '../../runtime/entry/client.js';
import { hex, rawFrame, u16 } from '../bytes.js';
import { announceFrom, connect, prepareAnnouncer, rawAnnouncer, settle, Subscriber } from '../observe.js';
import { fail, pass, type ConformanceCase } from '../types.js';
import { describeClose, expectClose, observedItem } from './common.js';

/** docs/protocol.md §2 reserves this range for Gossip; the first number in it that no spec registers. */
const GOSSIP_RANGE = { first: 500, last: 519 }; // not a message type: the bounds of the reserved range
const UNREGISTERED_GOSSIP_TYPE = ((): number => {
  const registered = new Set<number>(Object.values(MessageType));
  for (let type = GOSSIP_RANGE.first; type <= GOSSIP_RANGE.last; type++) if (!registered.has(type)) return type;
  throw new Error('every Gossip type number is registered');
})();

/** One malformed-frame case: `bytes` on a fresh API connection to node 0 must close it. */
function closes(slug: string, requirement: string, bytes: Uint8Array, section = '1'): ConformanceCase {
  return {
    id: `api/${section}/${slug}`,
    group: 'api',
    section,
    requirement,
    minNodes: 1,
    run: (context) => expectClose(context, context.nodes[0]!.api, bytes),
  };
}
export const badInputCases: ConformanceCase[] = [
  closes(
    'size-below-header',
    'A frame whose size is below 4 (here 2) closes the connection.',
    Uint8Array.from([0x00, 0x02, 0x01, 0xf5]),
  ),
  closes(
    'size-0',
    'A frame whose size is 0 closes the connection (it must not wait for more bytes).',
    Uint8Array.from([0x00, 0x00, 0x01, 0xf5]),
  ),
  closes(
    'size-1',
    'A frame whose size is 1 closes the connection (it must not wait for more bytes).',
    Uint8Array.from([0x00, 0x01, 0x01, 0xf5]),
  ),
  closes('size-3', 'A frame whose size is 3 closes the connection.', Uint8Array.from([0x00, 0x03, 0x01, 0xf5])),
  closes('zeros-64k', '64 KiB of zero bytes (a size-0 header first) closes the connection.', new Uint8Array(65_536)),
  closes(
    'largest-unknown-type',
    'The largest frame (65535 bytes) of an unknown type (999) closes the connection.',
    rawFrame(999, new Uint8Array(MAX_FRAME_SIZE - 4)),
  ),
  {
    id: 'api/1/truncated-frame-then-close',
    group: 'api',
    section: '1',
    requirement:
      'A frame cut short by the client (header promises 100 bytes, 10 arrive, then FIN) is not handled, and the node closes its side.',
    minNodes: 1,
    async run(context) {
      const frame = rawFrame(MessageType.GOSSIP_ANNOUNCE, [
        0,
        0,
        ...u16(context.freshDataType()),
        ...context.freshData(92),
      ]);
      const partial = frame.subarray(0, 10);
      const socket = context.track(await FramedSocket.connect(context.nodes[0]!.api));
      socket.write(partial);
      const finAt = performance.now();
      socket.socket.end();
      if (await socket.waitClosed(context.settings.waitMs)) return pass(describeClose(socket, finAt, 'our FIN'));
      return fail({
        message: 'the node kept its side open after the client ended the stream mid-frame',
        sent: `${hex(partial)} (the first 10 of ${frame.length} bytes), then FIN`,
        expected: `the node closes its side within ${context.settings.waitMs} ms`,
        got: `still open ${context.settings.waitMs} ms after our FIN`,
      });
    },
  },
  {
    id: 'api/1/half-closed-announcer',
    group: 'api',
    section: '1',
    requirement:
      'An ANNOUNCE followed at once by FIN (the client half-closes and keeps reading) is still handled and spread.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const { subscriber, item } = await observedItem(context);
      const socket = await rawAnnouncer(context, [item.dataType]);
      socket.write(GossipAnnounce.encode(item));
      socket.socket.end();
      if (await subscriber.waitFor(item.data, context.settings.waitMs)) return pass();
      return fail({
        message: 'an ANNOUNCE followed by a half-close was not spread',
        sent: `ANNOUNCE to the announcing node, then FIN (still reading): ${hex(GossipAnnounce.encode(item))}`,
        expected: 'a NOTIFICATION carrying the item on the observing node',
        got: `nothing within ${context.settings.waitMs} ms${socket.isClosed ? `; the node ${socket.closeReason}` : ''}`,
      });
    },
  },
  closes(
    'notify-trailing-bytes',
    'A NOTIFY longer than its fixed 8 bytes closes the connection.',
    rawFrame(MessageType.GOSSIP_NOTIFY, [0, 0, 0x9c, 0x40, 0, 0]),
  ),
  closes(
    'notify-truncated',
    'A NOTIFY shorter than its fixed 8 bytes closes the connection.',
    rawFrame(MessageType.GOSSIP_NOTIFY, [0, 0]),
  ),
  closes(
    'validation-wrong-size',
    'A VALIDATION whose size is not 8 closes the connection.',
    rawFrame(MessageType.GOSSIP_VALIDATION, [0, 1, 0, 1, 0, 0, 0, 0]),
  ),
  closes(
    'announce-truncated',
    'An ANNOUNCE too short for ttl, reserved and data_type closes the connection.',
    rawFrame(MessageType.GOSSIP_ANNOUNCE, [1, 0]),
  ),
  closes('unknown-type', 'A frame of an unregistered type (999) closes the connection.', rawFrame(999, [0, 0, 0, 0])),
  closes(
    'reserved-gossip-type',
    `A frame of a reserved Gossip type (${UNREGISTERED_GOSSIP_TYPE}) closes the connection.`,
    rawFrame(UNREGISTERED_GOSSIP_TYPE, [0, 0, 0, 0]),
  ),
  closes(
    'other-module-type',
    "A frame of another module's type (650, DHT) closes the connection.",
    rawFrame(650, [0, 0, 0, 0]),
  ),
  {
    id: 'api/1/others-still-served',
    group: 'api',
    section: '1',
    requirement: 'After one connection sent a malformed frame, the node keeps serving its other and new connections.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.path.to, [dataType]);
      const bystander = prepareAnnouncer(context, await connect(context, context.path.from), [dataType]);
      await settle();
      const garbage = Uint8Array.from([0x00, 0x01, 0xff, 0xff, 0xde, 0xad]);
      const offender = context.track(await FramedSocket.connect(context.path.from.api));
      offender.write(garbage);
      await offender.waitClosed(context.settings.waitMs);
      const first = { ttl: 0, dataType, data: context.freshData() };
      bystander.announce(first);
      const second = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.path.from, second);
      const [gotFirst, gotSecond] = await Promise.all([
        subscriber.waitFor(first.data, context.settings.waitMs),
        subscriber.waitFor(second.data, context.settings.waitMs),
      ]);
      if (gotFirst && gotSecond) return pass();
      return fail({
        message: 'the node stopped serving after a malformed frame on another connection',
        sent: `to the announcing node on connection A: ${hex(garbage)}; then ANNOUNCE on open connection B and on new connection C`,
        expected: 'both items delivered to the subscriber on the observing node',
        got: `B's item ${gotFirst ? 'delivered' : 'missing'}, C's item ${gotSecond ? 'delivered' : 'missing'}`,
      });
    },
  },
];
