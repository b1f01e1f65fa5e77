/**
 * docs/protocol.md §1 Framing, as seen through the API port: frames split across or sharing
 * TCP writes, whole outgoing frames, reserved fields ignored. Malformed input is in
 * s1-bad-input.ts, the P2P port in s1-p2p-framing.ts. Deliveries use an observation path a
 * precondition case showed to work (context.path: across nodes when possible, so that an
 * implementation that never notifies local subscribers fails only api/3.1/local-delivery).
 */
import { GossipAnnounce, GossipNotify, MAX_FRAME_SIZE, MessageType } from '../../runtime/entry/codec.js';
import { FramedSocket } from '../../runtime/entry/client.js';
import { announceWithReserved, hex, rawFrame, sleep, u16 } from '../bytes.js';
import { announceFrom, connect, prepareAnnouncer, preparePreamble, rawAnnouncer, settle } from '../observe.js';
import { fail, pass, type ConformanceCase } from '../types.js';
import { expectDelivered, feeds, notDelivered, observedItem } from './common.js';

/** Gap between the pieces of a split frame: long enough to arrive as separate reads. */
const PIECE_GAP_MS = 3;

async function writeInPieces(socket: FramedSocket, bytes: Uint8Array, pieceLength: number): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += pieceLength) {
    socket.write(bytes.subarray(offset, offset + pieceLength));
    await sleep(PIECE_GAP_MS);
  }
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
      const { subscriber, item } = await observedItem(context, 12);
      const frame = GossipAnnounce.encode(item);
      await writeInPieces(await rawAnnouncer(context, [item.dataType]), frame, 1);
      return expectDelivered(context, subscriber, item, `to the announcing node, one byte per write: ${hex(frame)}`);
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
        item,
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
      const { subscriber, item } = await observedItem(context, MAX_FRAME_SIZE - 8);
      await announceFrom(context, context.path.from, item);
      return expectDelivered(context, subscriber, item, `ANNOUNCE of ${MAX_FRAME_SIZE} bytes to the announcing node`);
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
      const { subscriber, item } = await observedItem(context);
      const frame = announceWithReserved(0, 0xff, item.dataType, item.data);
      (await rawAnnouncer(context, [item.dataType])).write(frame);
      return expectDelivered(context, subscriber, item, `to the announcing node: ${hex(frame)}`);
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
      return notDelivered(context, item, `to the observing node: ${hex(frame)}`);
    },
  },
];
