/**
 * docs/protocol.md §3.1, forwarding: an item from a peer is forwarded only after EVERY local
 * subscriber answered valid=1; valid=0, silence past validation_timeout, or no subscriber at
 * all stop it (ttl limits are in s3-1-ttl.ts). Observed on a two-hop path shown to work:
 * node 1 → node 0 → node 2 (what `--spawn` sets up with degree = 1), or on one node of our §4
 * wire protocol suite peer A → node 0 → suite peer B: subscribers on node 0 decide, the far
 * end tells whether the item went on. Negative cases send a control item first, so a missing
 * path SKIPs.
 */
import { sleep } from '../bytes.js';
import { describeItem, settle } from '../observe.js';
import { fail, pass, skip, type ConformanceCase } from '../types.js';
import {
  announceOnNode1,
  arrivesWithin,
  controlReaches,
  expectDelivered,
  farName,
  farObserver,
  forwardedAnyway,
  NO_PATH,
  sourceName,
  stoppedByAnswers,
  twoHop,
} from './common.js';
import { suiteLinks } from './peer-path.js';

export const forwardingCases: ConformanceCase[] = [
  {
    id: 'api/3.1/forward-after-valid',
    group: 'api',
    section: '3.1',
    requirement: 'An item from a peer that every local subscriber called valid=1 is forwarded (ttl 0, node 1 → 0 → 2).',
    minNodes: 3,
    needs: ['announce-unsubscribed'],
    provides: 'path:leaf-to-leaf',
    async run(context) {
      // Ten items, each must arrive: a path that works only sometimes (an item pushed to a
      // random subset of links) is no path the later cases can rely on. A node that pushes
      // each item to one of its two links at random passes one run in 1024 (with three items,
      // one in eight, and the two-hop cases after it then failed for the fanout, at random).
      const ITEMS = 10;
      const path = await twoHop(context, ['valid']);
      const items = [];
      for (let i = 0; i < ITEMS; i++) items.push(await announceOnNode1(context, path.dataType));
      const arrived = await Promise.all(items.map((item) => path.far.waitFor(item.data, context.settings.waitMs)));
      const count = arrived.filter((got) => got !== null).length;
      if (count === ITEMS) return pass();
      const notified = items.filter((item) => path.hub[0]!.find(item.data)).length;
      return fail({
        message: `${farName(context)} received ${count} of ${ITEMS} items (node 0 notified its subscriber of ${notified}, who answered valid=1${count > 0 ? '; some but not all: an implementation that reads degree as its push fanout forwards to a random subset of links' : ''})`,
        sent: `${ITEMS} ANNOUNCEs on ${sourceName(context)}, e.g. ${describeItem(items[0]!)}; valid=1 on node 0`,
        expected: `every item on ${farName(context)}`,
        got: `${count} within ${context.settings.waitMs} ms`,
      });
    },
  },
  {
    id: 'api/3.1/forward-between-suite-peers',
    group: 'api',
    section: '3.1',
    requirement:
      'On fewer than 3 nodes of our §4 wire protocol: an item a suite peer pushes to node 0, called valid=1 there, is forwarded to another suite peer.',
    minNodes: 1,
    provides: 'path:peer-to-peer',
    timeoutMs: 60_000,
    async run(context) {
      if (context.nodes.length >= 3)
        return skip('3 nodes or more: the two-hop cases use leaf → leaf (api/3.1/forward-after-valid)');
      const links = await suiteLinks(context);
      if (typeof links === 'string')
        return skip(`no two-hop path on ${context.nodes.length} node(s) without our §4 wire protocol: ${links}`);
      const path = await twoHop(context, ['valid']);
      const item = await announceOnNode1(context, path.dataType);
      if (await path.far.waitFor(item.data, context.settings.waitMs)) return pass();
      const atHub = path.hub[0]!.find(item.data)
        ? 'node 0 notified its subscriber, who answered valid=1'
        : 'node 0 never notified its subscriber';
      return fail({
        message: `${farName(context)} did not receive the item (${atHub})`,
        sent: `ANNOUNCE on ${sourceName(context)}: ${describeItem(item)}; valid=1 on node 0`,
        expected: `the item on ${farName(context)}`,
        got: `nothing within ${context.settings.waitMs} ms`,
      });
    },
  },
  {
    id: 'api/3.1/ttl-1-delivered',
    group: 'api',
    section: '3.1',
    requirement:
      'An item arriving from a peer with ttl 1 is delivered to local subscribers (precondition of the ttl cases: the last hop of any ttl).',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    provides: 'ttl-1-delivery',
    async run(context) {
      const path = await twoHop(context, ['valid']);
      const item = await announceOnNode1(context, path.dataType, 1);
      return expectDelivered(
        context,
        path.hub[0]!,
        item,
        `ANNOUNCE on ${sourceName(context)}: ${describeItem(item)}`,
        'to the subscriber on node 0',
      );
    },
  },
  {
    id: 'api/3.1/invalid-stops-spreading',
    group: 'api',
    section: '3.1',
    requirement: 'An item a local subscriber called valid=0 is not forwarded.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    run: (context) => stoppedByAnswers(context, ['invalid'], 'node 0 answered valid=0'),
  },
  {
    id: 'api/3.1/one-invalid-among-valid',
    group: 'api',
    section: '3.1',
    requirement: 'One valid=0 among several subscribers drops the item: EVERY subscriber must answer valid=1.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    run: (context) =>
      stoppedByAnswers(context, ['valid', 'invalid'], 'one of two subscribers on node 0 answered valid=0'),
  },
  {
    id: 'api/3.1/validation-upper-bits-ignored',
    group: 'api',
    section: '3.1',
    requirement: 'VALIDATION reads valid as word & 1: word 0x8001 means valid.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    async run(context) {
      const path = await twoHop(context, [{ word: 0x8001 }]);
      const item = await announceOnNode1(context, path.dataType);
      if (await path.far.waitFor(item.data, context.settings.waitMs)) return pass();
      if (!path.hub[0]!.find(item.data))
        return skip('node 0 never notified its subscriber (see api/3.1/forward-after-valid)');
      return fail({
        message: 'node 0 did not forward an item validated with reserved bits set',
        sent: `ANNOUNCE on ${sourceName(context)}: ${describeItem(item)}; VALIDATION word 0x8001 on node 0`,
        expected: `the item on ${farName(context)}`,
        got: `nothing within ${context.settings.waitMs} ms`,
      });
    },
  },
  {
    id: 'api/3.1/validation-lowest-bit-only',
    group: 'api',
    section: '3.1',
    requirement: 'VALIDATION reads valid as word & 1: word 0xfffe means invalid.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    run: (context) => stoppedByAnswers(context, [{ word: 0xfffe }], 'node 0 answered with word 0xfffe (valid bit 0)'),
  },
  {
    id: 'api/3.1/validation-timeout',
    group: 'api',
    section: '3.1',
    requirement: 'An item nobody validates within validation_timeout is dropped; a later valid=1 does not revive it.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    timeoutMs: 60_000,
    async run(context) {
      const timeoutMs = context.settings.validationTimeoutMs;
      if (timeoutMs > 20_000)
        return skip(
          `validation_timeout is ${timeoutMs / 1000} s; pass --validation-timeout (and --set validation_timeout=…) of 20 s or less`,
        );
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      path.hub[0]!.answerWith('none');
      const item = await announceOnNode1(context, path.dataType);
      const notified = await path.hub[0]!.waitFor(item.data, context.settings.waitMs);
      if (!notified) return skip('node 0 did not notify its subscriber of the second item');
      await sleep(timeoutMs + context.settings.quietMs);
      path.hub[0]!.client.validate(notified.messageId, true);
      if (await arrivesWithin(path.far, item.data, context.settings.quietMs)) {
        return forwardedAnyway(
          context,
          item,
          `node 0's subscriber answered only after validation_timeout (${timeoutMs} ms)`,
        );
      }
      return pass();
    },
  },
  {
    id: 'api/3.1/leaving-subscriber-not-counted',
    group: 'api',
    section: '3.1',
    requirement: 'A subscriber that disconnects without answering no longer counts: the others decide.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    async run(context) {
      const path = await twoHop(context, ['valid', 'none']);
      const leaver = path.hub[1]!;
      const item = await announceOnNode1(context, path.dataType);
      if (!(await leaver.waitFor(item.data, context.settings.waitMs)))
        return skip('node 0 did not notify its subscribers (see api/3.1/forward-after-valid)');
      leaver.destroy();
      const waitMs = Math.min(context.settings.waitMs, Math.max(200, context.settings.validationTimeoutMs - 200));
      if (await path.far.waitFor(item.data, waitMs)) return pass();
      return fail({
        message: 'node 0 did not forward the item after the silent subscriber left',
        sent: `ANNOUNCE on ${sourceName(context)}: ${describeItem(item)}; on node 0 one subscriber valid=1, one disconnects unanswered`,
        expected: `the item on ${farName(context)} within ${waitMs} ms (before validation_timeout)`,
        got: 'nothing',
      });
    },
  },
  {
    id: 'api/3.1/unsubscribed-type-not-forwarded',
    group: 'api',
    section: '3.1',
    requirement: 'An item from a peer of a type no local module subscribed to is neither delivered nor forwarded.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    async run(context) {
      const control = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, control))) return skip(NO_PATH);
      const dataType = context.freshDataType();
      const far = await farObserver(context, dataType);
      await settle();
      const item = await announceOnNode1(context, dataType);
      if (await arrivesWithin(far, item.data, 2 * context.settings.quietMs))
        return forwardedAnyway(context, item, 'no module on node 0 subscribed to its type');
      return pass();
    },
  },
  {
    id: 'api/3.1/subscription-ends-on-close',
    group: 'api',
    section: '3.1',
    requirement:
      "A connection's subscriptions end when it closes (node 0 then has no subscriber and stops forwarding).",
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop'],
    async run(context) {
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      path.hub[0]!.destroy();
      await settle();
      const item = await announceOnNode1(context, path.dataType);
      if (await arrivesWithin(path.far, item.data, 2 * context.settings.quietMs))
        return forwardedAnyway(context, item, "node 0's only subscriber had disconnected");
      return pass();
    },
  },
];
