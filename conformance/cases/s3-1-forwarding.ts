/**
 * docs/protocol.md §3.1, forwarding: an item from a peer is forwarded only after EVERY local
 * subscriber answered valid=1; valid=0, silence past validation_timeout, or no subscriber at
 * all stop it; ttl limits the hops. Observed on the path node 1 → node 0 → node 2 (what
 * `--spawn` sets up with degree = 1): subscribers on node 0 decide, node 2 tells whether the
 * item went on. Negative cases send a control item first, so a missing path SKIPs.
 */
import { sleep } from '../bytes.js';
import { describeItem, settle, Subscriber } from '../observe.js';
import { fail, pass, skip, type ConformanceCase } from '../types.js';
import { announceOnNode1, arrivesWithin, controlReaches, forwardedAnyway, NO_PATH, notDelivered, reachedFar, twoHop } from './common.js';

export const forwardingCases: ConformanceCase[] = [
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
      return notDelivered('to node 2', item, context.settings.waitMs, `ANNOUNCE on node 1: ${describeItem(item)}; valid=1 on node 0 (the same with ttl 0 arrived)`);
    },
  },
];
