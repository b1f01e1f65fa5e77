/**
 * docs/protocol.md §1 Framing, as seen through the API port: framing on the byte stream, whole
 * outgoing frames, reserved fields ignored, malformed frames closing only their connection.
 * Deliveries use an observation path a precondition case showed to work (context.path: across
 * nodes when possible, so that an implementation that never notifies local subscribers fails
 * only api/3.1/local-delivery; local on one node).
 */
import { GossipAnnounce, GossipNotify, MAX_FRAME_SIZE, MessageType } from '../../generated/index.js';
import { FramedSocket } from '../../runtime/api/api-client.js';
import { announceWithReserved, hex, rawFrame, sleep, u16, u64 } from '../bytes.js';
import { announceFrom, connect, prepareAnnouncer, preparePreamble, settle, Subscriber } from '../observe.js';
import { fail, pass, type ConformanceCase } from '../types.js';
import { describeClose, expectClose, feeds, notDelivered } from './common.js';
import { activeLink, isOutcome, mustClose } from './p2p-common.js';

/** Gap between the pieces of a split frame: long enough to arrive as separate reads. */
const PIECE_GAP_MS = 3;

async function writeInPieces(socket: FramedSocket, bytes: Uint8Array, pieceLength: number): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += pieceLength) {
    socket.write(bytes.subarray(offset, offset + pieceLength));
    await sleep(PIECE_GAP_MS);
  }
}

/** One malformed-frame case: `bytes` on a fresh API connection to node 0 must close it. */
/** docs/protocol.md §2 reserves this range for Gossip; the first number in it that no spec registers. */
const GOSSIP_RANGE = { first: 500, last: 519 }; // not a message type: the bounds of the reserved range
const UNREGISTERED_GOSSIP_TYPE = ((): number => {
  const registered = new Set<number>(Object.values(MessageType));
  for (let type = GOSSIP_RANGE.first; type <= GOSSIP_RANGE.last; type++) if (!registered.has(type)) return type;
  throw new Error('every Gossip type number is registered');
})();

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

export const framingCases: ConformanceCase[] = [
  {
    id: 'api/1/announce-split-across-writes',
    group: 'api',
    section: '1',
    requirement: 'An ANNOUNCE that arrives one byte per TCP segment is still read as one frame.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.path.to, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData(12) };
      const frame = GossipAnnounce.encode(item);
      const socket = context.track(await FramedSocket.connect(context.path.from.api));
      preparePreamble(context, socket, [dataType]);
      await writeInPieces(socket, frame, 1);
      if (await subscriber.waitFor(item.data, context.settings.waitMs)) return pass();
      return notDelivered(
        context,
        'to the subscriber on the observing node',
        item,
        context.settings.waitMs,
        `to the announcing node, one byte per write: ${hex(frame)}`,
      );
    },
  },
  {
    id: 'api/1/notify-split-across-writes',
    group: 'api',
    section: '1',
    requirement: 'A NOTIFY that arrives in pieces (size, then type, then body) still subscribes.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const client = await connect(context, context.path.to);
      const frame = GossipNotify.encode({ dataType });
      await writeInPieces(client.transport, frame, 2);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.path.from, item);
      if (await client.nextNotification(context.settings.waitMs)) return pass();
      return notDelivered(
        context,
        'to the subscriber on the observing node',
        item,
        context.settings.waitMs,
        `NOTIFY to the observing node in 2-byte writes: ${hex(frame)}; ANNOUNCE to the announcing node`,
      );
    },
  },
  {
    id: 'api/1/frames-sharing-one-write',
    group: 'api',
    section: '1',
    requirement: 'Several whole frames in one TCP write are all read (two NOTIFYs, then two ANNOUNCEs).',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const [typeA, typeB] = [context.freshDataType(), context.freshDataType()];
      const client = await connect(context, context.path.to);
      const notifies = Buffer.concat([
        GossipNotify.encode({ dataType: typeA }),
        GossipNotify.encode({ dataType: typeB }),
      ]);
      client.sendRaw(notifies);
      await settle();
      const items = [typeA, typeB].map((dataType) => ({ ttl: 0, dataType, data: context.freshData() }));
      const announces = Buffer.concat(items.map((item) => GossipAnnounce.encode(item)));
      const announcer = context.track(await FramedSocket.connect(context.path.from.api));
      preparePreamble(context, announcer, [typeA, typeB]);
      announcer.write(announces);
      const seen = new Set<number>();
      const deadline = Date.now() + context.settings.waitMs;
      while (seen.size < 2 && Date.now() < deadline) {
        const notification = await client.nextNotification(deadline - Date.now());
        if (notification) seen.add(notification.dataType);
      }
      if (seen.size === 2) return pass();
      return fail({
        message: 'not every frame of a shared write took effect',
        sent: `to the observing node in one write: ${hex(notifies)}; to the announcing node in one write: ${hex(announces)}`,
        expected: `NOTIFICATIONs for data types ${typeA} and ${typeB} on the observing node`,
        got: `data types [${[...seen].join(', ')}] within ${context.settings.waitMs} ms`,
      });
    },
  },
  {
    id: 'api/1/frames-written-whole',
    group: 'api',
    section: '1',
    requirement:
      'Each NOTIFICATION is written whole: every TCP read ends on a frame boundary (on every node the suite can feed).',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const ITEMS = 20;
      const checked: string[] = [];
      for (const { observer, feeder } of feeds(context)) {
        const dataType = context.freshDataType();
        const socket = context.track(await FramedSocket.connect(observer.api));
        socket.write(GossipNotify.encode({ dataType }));
        await settle();
        const announcer = prepareAnnouncer(context, await connect(context, feeder), [dataType]);
        for (let i = 0; i < ITEMS; i++) {
          announcer.announce({ ttl: 0, dataType, data: context.freshData(200) });
          await sleep(5);
        }
        const frames: Uint8Array[] = [];
        while (frames.length < ITEMS) {
          const frame = await socket.take(context.settings.waitMs);
          if (!frame) break;
          frames.push(frame);
        }
        if (frames.length === 0) {
          checked.push(`node ${observer.index}: no NOTIFICATION arrived`);
          continue;
        }
        // A frame boundary is a running total of frame sizes; every read must end on one.
        const boundaries = new Set<number>();
        let total = 0;
        for (const frame of frames) boundaries.add((total += frame.length));
        let readEnd = 0;
        for (const [index, length] of socket.chunkLengths.entries()) {
          readEnd += length;
          if (readEnd > total) break;
          if (!boundaries.has(readEnd)) {
            return fail({
              message: `TCP read ${index + 1} on node ${observer.index} ended inside a frame: node ${observer.index} split a NOTIFICATION across writes`,
              sent: `NOTIFY on node ${observer.index}, ${ITEMS} ANNOUNCEs of 208 bytes on node ${feeder.index}`,
              expected: 'every read to end where a frame ends',
              got: `read lengths ${socket.chunkLengths.slice(0, 12).join(', ')}${socket.chunkLengths.length > 12 ? ', …' : ''}; frame sizes ${frames
                .slice(0, 6)
                .map((f) => f.length)
                .join(', ')}, …`,
            });
          }
        }
        checked.push(`node ${observer.index}: ${frames.length} NOTIFICATIONs in ${socket.chunkLengths.length} reads`);
      }
      return pass(checked.join('; '));
    },
  },
  {
    id: 'api/1/largest-frame',
    group: 'api',
    section: '1',
    requirement: 'An ANNOUNCE of the largest size (65535 bytes) is accepted and delivered intact.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.path.to, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData(MAX_FRAME_SIZE - 8) };
      await announceFrom(context, context.path.from, item);
      if (await subscriber.waitFor(item.data, context.settings.waitMs)) return pass();
      return notDelivered(
        context,
        'to the subscriber on the observing node',
        item,
        context.settings.waitMs,
        `ANNOUNCE of ${MAX_FRAME_SIZE} bytes to the announcing node`,
      );
    },
  },
  {
    id: 'api/1/announce-reserved-ignored',
    group: 'api',
    section: '1',
    requirement: 'A non-zero reserved byte in ANNOUNCE is ignored: the item is still spread.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.path.to, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      const frame = announceWithReserved(0, 0xff, dataType, item.data);
      const socket = context.track(await FramedSocket.connect(context.path.from.api));
      preparePreamble(context, socket, [dataType]);
      socket.write(frame);
      if (await subscriber.waitFor(item.data, context.settings.waitMs)) return pass();
      return notDelivered(
        context,
        'to the subscriber on the observing node',
        item,
        context.settings.waitMs,
        `to the announcing node: ${hex(frame)}`,
      );
    },
  },
  {
    id: 'api/1/notify-reserved-ignored',
    group: 'api',
    section: '1',
    requirement: 'A non-zero reserved field in NOTIFY is ignored: the subscription works.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const frame = rawFrame(MessageType.GOSSIP_NOTIFY, [0xff, 0xff, ...u16(dataType)]);
      const client = await connect(context, context.path.to);
      client.sendRaw(frame);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.path.from, item);
      if (await client.nextNotification(context.settings.waitMs)) return pass();
      return notDelivered(
        context,
        'to the subscriber on the observing node',
        item,
        context.settings.waitMs,
        `to the observing node: ${hex(frame)}`,
      );
    },
  },
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
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.path.to, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      const socket = context.track(await FramedSocket.connect(context.path.from.api));
      preparePreamble(context, socket, [dataType]);
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

/** §1 on the P2P port: types not allowed there, or malformed, close an active link. */
function p2pCloses(slug: string, requirement: string, bytes: Uint8Array): ConformanceCase {
  return {
    id: `p2p/1/${slug}`,
    group: 'p2p',
    section: '1',
    requirement,
    minNodes: 1,
    async run(context) {
      const link = await activeLink(context);
      if (isOutcome(link)) return link;
      link.peer.send('frame', bytes);
      return mustClose(context, link.peer, `${hex(bytes)} on an active link`);
    },
  };
}

export const p2pFramingCases: ConformanceCase[] = [
  p2pCloses(
    'api-type-closes',
    'An API type (NOTIFY, 501) sent to the P2P port closes the link.',
    rawFrame(MessageType.GOSSIP_NOTIFY, [0, 0, 0x9c, 0x40]),
  ),
  p2pCloses(
    'notification-closes',
    'A NOTIFICATION (502) sent to the P2P port closes the link.',
    rawFrame(MessageType.GOSSIP_NOTIFICATION, [0, 1, 0x9c, 0x40, 1]),
  ),
  p2pCloses(
    'unknown-type-closes',
    'An unknown type (999) sent to the P2P port closes the link.',
    rawFrame(999, [0, 0, 0, 0]),
  ),
  p2pCloses(
    'partial-peer-entry-closes',
    'A PEER RESPONSE whose address bytes are not a whole number of entries closes the link.',
    rawFrame(MessageType.GOSSIP_PEER_RESPONSE, [...u64(1n), ...u64(2n), 0, 0, 0, 0, 127, 0, 0, 1, 0x17]),
  ),
];
