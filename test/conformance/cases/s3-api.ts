/**
 * PROTOCOL.md §3 API messages and §3.1 semantics. Cross-node deliveries witness that an item
 * was processed; two-hop rules (validation, ttl, unsubscribed types) use the path
 * node 1 → node 0 → node 2 with subscribers on node 0 deciding, and check a control item
 * first so that a missing path skips the case instead of failing it.
 */
import { GossipNotify } from '../../../generated/index.js';
import { ApiClient, FramedSocket, frameType } from '../../../runtime/api-client.js';
import { hex, rawFrame, sleep, u16, u64, validationWord } from '../bytes.js';
import { announceFrom, connect, describeItem, settle, Subscriber } from '../observe.js';
import { fail, pass, skip, type ConformanceCase } from '../types.js';
import { announceOnNode1, arrivesWithin, controlReaches, expectClose, forwardedAnyway, NO_PATH, reachedFar, twoHop } from './common.js';

/** A type an API client must not send closes its connection (§3.1, §1). */
function refused(slug: string, requirement: string, bytes: Uint8Array): ConformanceCase {
  return { id: `api/3.1/${slug}`, group: 'api', section: '3.1', requirement, minNodes: 1, run: (c) => expectClose(c, c.nodes[0]!.api, bytes) };
}

const missing = (where: string, item: { ttl: number; dataType: number; data: Uint8Array }, ms: number, sent: string) =>
  fail({ message: `the item was not delivered ${where}`, sent, expected: `NOTIFICATION with ${describeItem(item)}`, got: `nothing within ${ms} ms` });

export const apiCases: ConformanceCase[] = [
  {
    id: 'api/3.1/local-delivery',
    group: 'api',
    section: '3.1',
    requirement: 'An item announced on a node is notified to another local connection subscribed to its type.',
    minNodes: 1,
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.nodes[0]!, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.nodes[0]!, item);
      if (await subscriber.waitFor(item.data, context.settings.waitMs)) return pass();
      return missing('to the other local subscriber on node 0', item, context.settings.waitMs, 'NOTIFY and ANNOUNCE on two connections to node 0');
    },
  },
  {
    id: 'api/3.1/cross-node-delivery',
    group: 'api',
    section: '3.1',
    requirement: 'An item announced on node 0 reaches a subscriber on every other node.',
    minNodes: 2,
    async run(context) {
      const dataType = context.freshDataType();
      const others = context.nodes.slice(1);
      const subscribers = await Promise.all(others.map((node) => Subscriber.open(context, node, [dataType])));
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.nodes[0]!, item);
      const got = await Promise.all(subscribers.map((s) => s.waitFor(item.data, context.settings.waitMs)));
      const lacking = others.filter((_, i) => !got[i]).map((node) => node.index);
      if (lacking.length === 0) return pass();
      return missing(`to node(s) ${lacking.join(', ')}`, item, context.settings.waitMs, `ANNOUNCE on node 0: ${describeItem(item)}`);
    },
  },
  {
    id: 'api/3/notification-layout',
    group: 'api',
    section: '3',
    requirement: 'A NOTIFICATION is size | 502 | message_id | data_type | data, with size = 8 + data length.',
    minNodes: 2,
    async run(context) {
      const dataType = context.freshDataType();
      const socket = context.track(await FramedSocket.connect(context.nodes[1]!.api));
      socket.write(GossipNotify.encode({ dataType }));
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData(16) };
      await announceFrom(context, context.nodes[0]!, item);
      const frame = await socket.take(context.settings.waitMs);
      if (!frame) return skip('no frame arrived on node 1 (see api/3.1/cross-node-delivery)');
      const expected = rawFrame(502, [0, 0, ...u16(dataType), ...item.data]);
      const view = Buffer.from(frame);
      const isRight =
        frame.length === expected.length && view.readUInt16BE(0) === frame.length && frameType(frame) === 502 &&
        view.readUInt16BE(6) === dataType && view.subarray(8).equals(Buffer.from(item.data));
      if (isRight) return pass();
      return fail({
        message: 'the NOTIFICATION frame is not laid out as §3 says',
        sent: `NOTIFY ${dataType} on node 1; ANNOUNCE on node 0: ${describeItem(item)}`,
        expected: `${hex(expected)} (bytes 4–5, the message ID, may be anything)`,
        got: hex(frame),
      });
    },
  },
  {
    id: 'api/3.1/no-echo-to-announcer',
    group: 'api',
    section: '3.1',
    requirement: 'The connection that announced an item is not notified of it, even when subscribed to its type.',
    minNodes: 2,
    async run(context) {
      const dataType = context.freshDataType();
      const witness = await Subscriber.open(context, context.nodes[1]!, [dataType]);
      const announcer = await Subscriber.open(context, context.nodes[0]!, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      announcer.client.announce(item);
      const spread = await witness.waitFor(item.data, context.settings.waitMs);
      const echoed = await announcer.waitFor(item.data, spread ? context.settings.quietMs : 0);
      if (echoed) {
        return fail({
          message: 'the announcer received its own item',
          sent: `NOTIFY ${dataType} then ANNOUNCE on one connection to node 0: ${describeItem(item)}`,
          expected: 'no NOTIFICATION on that connection',
          got: `NOTIFICATION message_id=${echoed.messageId}`,
        });
      }
      if (!spread) return skip('the item did not reach node 1 either, so its processing could not be confirmed (see api/3.1/cross-node-delivery)');
      return pass();
    },
  },
  {
    id: 'api/3.1/announcer-disconnects',
    group: 'api',
    section: '3.1',
    requirement: 'An ANNOUNCE whose sender disconnects right after sending it is still spread.',
    minNodes: 2,
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.nodes[1]!, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      const client = await ApiClient.connect(context.nodes[0]!.api);
      client.announce(item);
      client.close();
      if (await subscriber.waitFor(item.data, context.settings.waitMs)) return pass();
      return missing('to node 1', item, context.settings.waitMs, 'ANNOUNCE to node 0, then FIN at once');
    },
  },
  {
    id: 'api/3.1/many-types-one-connection',
    group: 'api',
    section: '3.1',
    requirement: 'One connection may subscribe to several data types and is notified of each.',
    minNodes: 2,
    async run(context) {
      const types = [context.freshDataType(), context.freshDataType(), context.freshDataType()];
      const subscriber = await Subscriber.open(context, context.nodes[1]!, types);
      await settle();
      const items = types.map((dataType) => ({ ttl: 0, dataType, data: context.freshData() }));
      const announcer = await connect(context, context.nodes[0]!);
      for (const item of items) announcer.announce(item);
      const got = await Promise.all(items.map((item) => subscriber.waitFor(item.data, context.settings.waitMs)));
      if (got.every(Boolean)) return pass();
      return fail({
        message: 'not every subscribed type was notified',
        sent: `NOTIFY ${types.join(', ')} on one connection to node 1; an ANNOUNCE of each on node 0`,
        expected: `NOTIFICATIONs of types ${types.join(', ')}`,
        got: `types ${items.filter((_, i) => got[i]).map((item) => item.dataType).join(', ') || 'none'}`,
      });
    },
  },
  {
    id: 'api/3.1/many-connections-one-type',
    group: 'api',
    section: '3.1',
    requirement: 'Several connections may subscribe to one data type and each is notified.',
    minNodes: 2,
    async run(context) {
      const dataType = context.freshDataType();
      const subscribers = await Promise.all([0, 1, 2].map(() => Subscriber.open(context, context.nodes[1]!, [dataType])));
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.nodes[0]!, item);
      const got = await Promise.all(subscribers.map((s) => s.waitFor(item.data, context.settings.waitMs)));
      const count = got.filter(Boolean).length;
      if (count === subscribers.length) return pass();
      return missing(`to all 3 subscribers on node 1 (only ${count} got it)`, item, context.settings.waitMs, `3 connections NOTIFY ${dataType} on node 1; ANNOUNCE on node 0`);
    },
  },
  {
    id: 'api/3.1/message-ids-unique',
    group: 'api',
    section: '3.1',
    requirement: "NOTIFICATION message IDs are unique among a connection's pending validations.",
    minNodes: 2,
    async run(context) {
      const ITEMS = 16;
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.nodes[1]!, [dataType], 'none');
      await settle();
      const announcer = await connect(context, context.nodes[0]!);
      const items = Array.from({ length: ITEMS }, () => ({ ttl: 0, dataType, data: context.freshData() }));
      for (const item of items) announcer.announce(item);
      await Promise.all(items.map((item) => subscriber.waitFor(item.data, context.settings.waitMs)));
      const ids = subscriber.received.map((n) => n.messageId);
      if (ids.length < 2) return skip('fewer than 2 NOTIFICATIONs arrived on node 1 (see api/3.1/cross-node-delivery)');
      if (new Set(ids).size === ids.length) return pass();
      return fail({
        message: 'two pending NOTIFICATIONs share a message ID',
        sent: `${ITEMS} ANNOUNCEs on node 0, none validated on node 1`,
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
    minNodes: 2,
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.nodes[1]!, [dataType]);
      const stray = validationWord(0x4242, 1);
      subscriber.client.sendRaw(stray);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.nodes[0]!, item);
      const got = await subscriber.waitFor(item.data, context.settings.waitMs);
      if (got && !subscriber.client.isClosed) return pass();
      return fail({
        message: subscriber.client.isClosed ? 'node 1 closed the connection' : 'the subscription no longer worked',
        sent: `NOTIFY ${dataType}, then ${hex(stray)} on node 1; ANNOUNCE on node 0`,
        expected: 'the connection stays open and receives the item',
        got: subscriber.client.isClosed ? 'connection closed' : `no NOTIFICATION within ${context.settings.waitMs} ms`,
      });
    },
  },
  refused('notification-from-client', 'A client sending NOTIFICATION (502) is disconnected.', rawFrame(502, [0, 1, 0x9c, 0x40, 1, 2])),
  refused('peer-request-from-client', 'A client sending PEER REQUEST (504, a P2P type) is disconnected.', rawFrame(504, [8, 0, 0, 0, ...u64(1n)])),
  refused('peer-response-from-client', 'A client sending PEER RESPONSE (505, a P2P type) is disconnected.', rawFrame(505, [...u64(1n), ...u64(2n), 0, 0, 0, 0])),
  refused('verification-request-from-client', 'A client sending VERIFICATION REQUEST (506) is disconnected.', rawFrame(506, u64(7n))),
  refused('verification-response-from-client', 'A client sending VERIFICATION RESPONSE (507) is disconnected.', rawFrame(507, [...u64(7n), ...u64(9n)])),
  refused('hello-from-client', 'A client sending HELLO (508, a P2P type) is disconnected.', rawFrame(508, [...u16(6001), 0, 0])),
  {
    id: 'api/3.1/forward-after-valid',
    group: 'api',
    section: '3.1',
    requirement: 'An item from a peer that every local subscriber called valid=1 is forwarded (ttl 0, node 1 → 0 → 2).',
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, ['valid']);
      const item = await announceOnNode1(context, path.dataType);
      if (await path.far.waitFor(item.data, context.settings.waitMs)) return pass();
      const atHub = path.hub[0]!.find(item.data) ? 'node 0 notified its subscriber, who answered valid=1' : 'node 0 never notified its subscriber';
      return fail({
        message: `node 2 did not receive the item (${atHub})`,
        sent: `ANNOUNCE on node 1: ${describeItem(item)}; valid=1 on node 0`,
        expected: 'a NOTIFICATION on node 2',
        got: `nothing within ${context.settings.waitMs} ms`,
      });
    },
  },
  {
    id: 'api/3.1/invalid-stops-spreading',
    group: 'api',
    section: '3.1',
    requirement: 'An item a local subscriber called valid=0 is not forwarded.',
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      path.hub[0]!.answerWith('invalid');
      const item = await announceOnNode1(context, path.dataType);
      if (await reachedFar(context, path, item)) return forwardedAnyway(item, 'node 0 answered valid=0');
      return pass();
    },
  },
  {
    id: 'api/3.1/one-invalid-among-valid',
    group: 'api',
    section: '3.1',
    requirement: 'One valid=0 among several subscribers drops the item: EVERY subscriber must answer valid=1.',
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, ['valid', 'valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      path.hub[1]!.answerWith('invalid');
      const item = await announceOnNode1(context, path.dataType);
      if (await reachedFar(context, path, item)) return forwardedAnyway(item, 'one of two subscribers on node 0 answered valid=0');
      return pass();
    },
  },
  {
    id: 'api/3.1/validation-upper-bits-ignored',
    group: 'api',
    section: '3.1',
    requirement: 'VALIDATION reads valid as word & 1: word 0x8001 means valid.',
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, [{ word: 0x8001 }]);
      const item = await announceOnNode1(context, path.dataType);
      if (await path.far.waitFor(item.data, context.settings.waitMs)) return pass();
      if (!path.hub[0]!.find(item.data)) return skip('node 0 never notified its subscriber (see api/3.1/forward-after-valid)');
      return fail({
        message: 'node 0 did not forward an item validated with reserved bits set',
        sent: `ANNOUNCE on node 1: ${describeItem(item)}; VALIDATION word 0x8001 on node 0`,
        expected: 'a NOTIFICATION on node 2',
        got: `nothing within ${context.settings.waitMs} ms`,
      });
    },
  },
  {
    id: 'api/3.1/validation-lowest-bit-only',
    group: 'api',
    section: '3.1',
    requirement: 'VALIDATION reads valid as word & 1: word 0xfffe means invalid.',
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      path.hub[0]!.answerWith({ word: 0xfffe });
      const item = await announceOnNode1(context, path.dataType);
      if (await reachedFar(context, path, item)) return forwardedAnyway(item, 'node 0 answered with word 0xfffe (valid bit 0)');
      return pass();
    },
  },
  {
    id: 'api/3.1/validation-timeout',
    group: 'api',
    section: '3.1',
    requirement: 'An item nobody validates within validation_timeout is dropped; a later valid=1 does not revive it.',
    minNodes: 3,
    timeoutMs: 60_000,
    async run(context) {
      const timeoutMs = context.settings.validationTimeoutMs;
      if (timeoutMs > 20_000) return skip(`validation_timeout is ${timeoutMs / 1000} s; pass --validation-timeout (and --set validation_timeout=…) of 20 s or less`);
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      path.hub[0]!.answerWith('none');
      const item = await announceOnNode1(context, path.dataType);
      const notified = await path.hub[0]!.waitFor(item.data, context.settings.waitMs);
      if (!notified) return skip('node 0 did not notify its subscriber of the second item');
      await sleep(timeoutMs + context.settings.quietMs);
      path.hub[0]!.client.validate(notified.messageId, true);
      if (await arrivesWithin(path.far, item.data, context.settings.quietMs)) {
        return forwardedAnyway(item, `node 0's subscriber answered only after validation_timeout (${timeoutMs} ms)`);
      }
      return pass();
    },
  },
  {
    id: 'api/3.1/leaving-subscriber-not-counted',
    group: 'api',
    section: '3.1',
    requirement: 'A subscriber that disconnects without answering no longer counts: the others decide.',
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, ['valid', 'none']);
      const leaver = path.hub[1]!;
      const item = await announceOnNode1(context, path.dataType);
      if (!(await leaver.waitFor(item.data, context.settings.waitMs))) return skip('node 0 did not notify its subscribers (see api/3.1/forward-after-valid)');
      leaver.destroy();
      const waitMs = Math.min(context.settings.waitMs, Math.max(200, context.settings.validationTimeoutMs - 200));
      if (await path.far.waitFor(item.data, waitMs)) return pass();
      return fail({
        message: 'node 0 did not forward the item after the silent subscriber left',
        sent: `ANNOUNCE on node 1: ${describeItem(item)}; on node 0 one subscriber valid=1, one disconnects unanswered`,
        expected: `a NOTIFICATION on node 2 within ${waitMs} ms (before validation_timeout)`,
        got: 'nothing',
      });
    },
  },
  {
    id: 'api/3.1/unsubscribed-type-not-forwarded',
    group: 'api',
    section: '3.1',
    requirement: 'An item from a peer of a type no local module subscribed to is neither delivered nor forwarded.',
    minNodes: 3,
    async run(context) {
      const control = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, control))) return skip(NO_PATH);
      const dataType = context.freshDataType();
      const far = await Subscriber.open(context, context.nodes[2]!, [dataType]);
      await settle();
      const item = await announceOnNode1(context, dataType);
      if (await arrivesWithin(far, item.data, 2 * context.settings.quietMs)) return forwardedAnyway(item, 'no module on node 0 subscribed to its type');
      return pass();
    },
  },
  {
    id: 'api/3.1/subscription-ends-on-close',
    group: 'api',
    section: '3.1',
    requirement: "A connection's subscriptions end when it closes (node 0 then has no subscriber and stops forwarding).",
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      path.hub[0]!.destroy();
      await settle();
      const item = await announceOnNode1(context, path.dataType);
      if (await arrivesWithin(path.far, item.data, 2 * context.settings.quietMs)) return forwardedAnyway(item, "node 0's only subscriber had disconnected");
      return pass();
    },
  },
  {
    id: 'api/3.1/ttl-1-neighbours-only',
    group: 'api',
    section: '3.1',
    requirement: 'ttl 1: direct neighbours deliver the item locally and do not forward it.',
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      const item = await announceOnNode1(context, path.dataType, 1);
      const atHub = await path.hub[0]!.waitFor(item.data, context.settings.waitMs);
      const atFar = await arrivesWithin(path.far, item.data, context.settings.quietMs);
      if (atFar) return forwardedAnyway(item, 'it was announced with ttl 1');
      if (!atHub) {
        return fail({
          message: 'the direct neighbour (node 0) did not deliver a ttl-1 item',
          sent: `ANNOUNCE on node 1: ${describeItem(item)}`,
          expected: 'a NOTIFICATION on node 0',
          got: `nothing within ${context.settings.waitMs} ms`,
        });
      }
      return pass();
    },
  },
  {
    id: 'api/3.1/ttl-2-two-hops',
    group: 'api',
    section: '3.1',
    requirement: 'ttl 2 lets an item travel two hops (1 → 0 → 2), like ttl 0 (unlimited) does.',
    minNodes: 3,
    async run(context) {
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      const item = await announceOnNode1(context, path.dataType, 2);
      if (await path.far.waitFor(item.data, context.settings.waitMs)) return pass();
      return missing('to node 2', item, context.settings.waitMs, `ANNOUNCE on node 1: ${describeItem(item)}; valid=1 on node 0 (the same with ttl 0 arrived)`);
    },
  },
];
