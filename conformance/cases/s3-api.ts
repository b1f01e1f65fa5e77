/**
 * docs/protocol.md §3 API messages and §3.1 semantics, delivery: who is notified of an item and
 * with which frame, on a path a precondition showed to work (s3-delivery-paths.ts). Types a
 * client must not send are in s3-api-refused.ts, forwarding rules in s3-1-forwarding.ts.
 */
import { GossipNotification, GossipNotify, MessageType } from '../../runtime/entry/codec.js';
import { ApiClient, FramedSocket } from '../../runtime/entry/client.js';
import { equalBytes, hex, rawFrame, u16, validationWord } from '../bytes.js';
import { announceFrom, connect, describeItem, prepareAnnouncer, settle, Subscriber } from '../observe.js';
import { fail, pass, skip, type ConformanceCase } from '../types.js';
import { expectDelivered, feeds, notDelivered, observedItem } from './common.js';

/** The NOTIFICATION in `frame`, or null when it is not one laid out as §3 says. */
function decodeOrNull(frame: Uint8Array): GossipNotification | null {
  try {
    return GossipNotification.decode(frame);
  } catch {
    return null;
  }
}

export const apiCases: ConformanceCase[] = [
  {
    id: 'api/3/notification-layout',
    group: 'api',
    section: '3',
    requirement: 'A NOTIFICATION is size | 502 | message_id | data_type | data, with size = 8 + data length.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const socket = context.track(await FramedSocket.connect(context.path.to.api));
      socket.write(GossipNotify.encode({ dataType }));
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData(16) };
      await announceFrom(context, context.path.from, item);
      const frame = await socket.take(context.settings.waitMs);
      if (!frame) return skip('no frame arrived on the observing node (the path was shown to work before)');
      const expected = rawFrame(MessageType.GOSSIP_NOTIFICATION, [0, 0, ...u16(dataType), ...item.data]);
      // The codec checks size = frame length, the type and the layout; bytes 4–5 (the message ID) may be anything.
      const decoded = decodeOrNull(frame);
      const isRight = decoded !== null && decoded.dataType === dataType && equalBytes(decoded.data, item.data);
      if (isRight) return pass();
      return fail({
        message: 'the NOTIFICATION frame is not laid out as §3 says',
        sent: `NOTIFY ${dataType} on the observing node; ANNOUNCE on the announcing node: ${describeItem(item)}`,
        expected: `${hex(expected)} (bytes 4–5, the message ID, may be anything)`,
        got: hex(frame),
      });
    },
  },
  {
    id: 'api/3.1/no-echo-to-announcer',
    group: 'api',
    section: '3.1',
    requirement:
      'The connection that announced an item is not notified of it, even when subscribed to its type (on every node the suite can observe).',
    minNodes: 1,
    needs: ['delivery'],
    async run(context) {
      const checked: string[] = [];
      // On each node: a subscribed connection announces; a witness where the item is seen confirms it was processed.
      const witnessFor = (announcing: (typeof context.nodes)[number]) =>
        feeds(context).find((feed) => feed.feeder.index === announcing.index)?.observer ?? null;
      const announcing = context.nodes.filter((node) => witnessFor(node) !== null);
      for (const node of announcing.length > 0 ? announcing : [context.path.from]) {
        const dataType = context.freshDataType();
        const witnessNode = witnessFor(node) ?? context.path.to;
        const witness = await Subscriber.open(context, witnessNode, [dataType]);
        const announcer = await Subscriber.open(context, node, [dataType]);
        await settle();
        const item = { ttl: 0, dataType, data: context.freshData() };
        announcer.client.announce(item);
        const spread = await witness.waitFor(item.data, context.settings.waitMs);
        const echoed = await announcer.waitFor(item.data, spread ? context.settings.quietMs : 0);
        if (echoed) {
          return fail({
            message: `the announcer on node ${node.index} received its own item`,
            sent: `NOTIFY ${dataType} then ANNOUNCE on one connection to node ${node.index}: ${describeItem(item)}`,
            expected: 'no NOTIFICATION on that connection',
            got: `NOTIFICATION message_id=${echoed.messageId}`,
          });
        }
        checked.push(
          spread
            ? `node ${node.index}: no echo (witness on node ${witnessNode.index})`
            : `node ${node.index}: unconfirmed (the witness on node ${witnessNode.index} got nothing)`,
        );
        if (!spread && announcing.length <= 1) {
          return skip(
            `the item did not reach the witness on node ${witnessNode.index} either, so its processing could not be confirmed (the path was shown to work before)`,
          );
        }
      }
      return pass(checked.join('; '));
    },
  },
  {
    id: 'api/3.1/announcer-disconnects',
    group: 'api',
    section: '3.1',
    requirement: 'An ANNOUNCE whose sender disconnects right after sending it is still spread.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const { subscriber, item } = await observedItem(context);
      const client = prepareAnnouncer(context, await ApiClient.connect(context.path.from.api), [item.dataType]);
      client.announce(item);
      client.close();
      return expectDelivered(
        context,
        subscriber,
        item,
        'ANNOUNCE to the announcing node, then FIN at once',
        'to the observing node',
      );
    },
  },
  {
    id: 'api/3.1/many-types-one-connection',
    group: 'api',
    section: '3.1',
    requirement: 'One connection may subscribe to several data types and is notified of each.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const types = [context.freshDataType(), context.freshDataType(), context.freshDataType()];
      const subscriber = await Subscriber.open(context, context.path.to, types);
      await settle();
      const items = types.map((dataType) => ({ ttl: 0, dataType, data: context.freshData() }));
      const announcer = prepareAnnouncer(context, await connect(context, context.path.from), types);
      for (const item of items) announcer.announce(item);
      const got = await Promise.all(items.map((item) => subscriber.waitFor(item.data, context.settings.waitMs)));
      if (got.every(Boolean)) return pass();
      return fail({
        message: 'not every subscribed type was notified',
        sent: `NOTIFY ${types.join(', ')} on one connection to the observing node; an ANNOUNCE of each on the announcing node`,
        expected: `NOTIFICATIONs of types ${types.join(', ')}`,
        got: `types ${
          items
            .filter((_, i) => got[i])
            .map((item) => item.dataType)
            .join(', ') || 'none'
        }`,
      });
    },
  },
  {
    id: 'api/3.1/many-connections-one-type',
    group: 'api',
    section: '3.1',
    requirement: 'Several connections may subscribe to one data type and each is notified.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const subscribers = await Promise.all([0, 1, 2].map(() => Subscriber.open(context, context.path.to, [dataType])));
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.path.from, item);
      const got = await Promise.all(subscribers.map((s) => s.waitFor(item.data, context.settings.waitMs)));
      const count = got.filter(Boolean).length;
      if (count === subscribers.length) return pass();
      return notDelivered(
        context,
        item,
        `3 connections NOTIFY ${dataType} on the observing node; ANNOUNCE on the announcing node`,
        `to all 3 subscribers on the observing node (only ${count} got it)`,
      );
    },
  },
  {
    id: 'api/3.1/message-ids-unique',
    group: 'api',
    section: '3.1',
    requirement: "NOTIFICATION message IDs are unique among a connection's pending validations.",
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const ITEMS = 16;
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.path.to, [dataType], 'none');
      await settle();
      const announcer = prepareAnnouncer(context, await connect(context, context.path.from), [dataType]);
      const items = Array.from({ length: ITEMS }, () => ({ ttl: 0, dataType, data: context.freshData() }));
      for (const item of items) announcer.announce(item);
      await Promise.all(items.map((item) => subscriber.waitFor(item.data, context.settings.waitMs)));
      const ids = subscriber.received.map((n) => n.messageId);
      if (ids.length < 2)
        return skip('fewer than 2 NOTIFICATIONs arrived on the observing node (the path was shown to work before)');
      if (new Set(ids).size === ids.length) return pass();
      return fail({
        message: 'two pending NOTIFICATIONs share a message ID',
        sent: `${ITEMS} ANNOUNCEs on the announcing node, none validated on the observing node`,
        expected: 'distinct message IDs',
        got: `message IDs ${ids.join(', ')}`,
      });
    },
  },
  {
    id: 'api/3.1/validation-unknown-id-ignored',
    group: 'api',
    section: '3.1',
    requirement: 'A VALIDATION for an unknown message ID is ignored: the connection stays open and subscribed.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'delivery'],
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.path.to, [dataType]);
      const stray = validationWord(0x4242, 1);
      subscriber.client.sendRaw(stray);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.path.from, item);
      const got = await subscriber.waitFor(item.data, context.settings.waitMs);
      if (got && !subscriber.client.isClosed) return pass();
      return fail({
        message: subscriber.client.isClosed
          ? 'the observing node closed the connection'
          : 'the subscription no longer worked',
        sent: `NOTIFY ${dataType}, then ${hex(stray)} on the observing node; ANNOUNCE on the announcing node`,
        expected: 'the connection stays open and receives the item',
        got: subscriber.client.isClosed ? 'connection closed' : `no NOTIFICATION within ${context.settings.waitMs} ms`,
      });
    },
  },
];
