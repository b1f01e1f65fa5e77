/**
 * docs/protocol.md §3.1, ttl limits the hops: ttl 1 stops at direct neighbours, ttl 2 goes two
 * hops. Same two-hop path and control item as s3-1-forwarding.ts; apart so that file stays
 * about validation.
 */
import { describeItem } from '../observe.js';
import { fail, pass, skip, type ConformanceCase } from '../types.js';
import {
  announceOnNode1,
  arrivesWithin,
  controlReaches,
  farName,
  forwardedAnyway,
  NO_PATH,
  expectDelivered,
  sourceName,
  twoHop,
} from './common.js';

export const ttlCases: ConformanceCase[] = [
  {
    id: 'api/3.1/ttl-1-neighbours-only',
    group: 'api',
    section: '3.1',
    requirement: 'ttl 1: direct neighbours deliver the item locally and do not forward it.',
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop', 'ttl-1-delivery'],
    async run(context) {
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      const item = await announceOnNode1(context, path.dataType, 1);
      const atHub = await path.hub[0]!.waitFor(item.data, context.settings.waitMs);
      const atFar = await arrivesWithin(path.far, item.data, context.settings.quietMs);
      if (atFar) return forwardedAnyway(context, item, 'it was announced with ttl 1');
      if (!atHub) {
        return fail({
          message: 'the direct neighbour (node 0) did not deliver a ttl-1 item',
          sent: `ANNOUNCE on ${sourceName(context)}: ${describeItem(item)}`,
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
    minNodes: 1,
    needs: ['announce-unsubscribed', 'two-hop', 'ttl-1-delivery'],
    async run(context) {
      const path = await twoHop(context, ['valid']);
      if (!(await controlReaches(context, path))) return skip(NO_PATH);
      const item = await announceOnNode1(context, path.dataType, 2);
      return expectDelivered(
        context,
        path.far,
        item,
        `ANNOUNCE on ${sourceName(context)}: ${describeItem(item)}; valid=1 on node 0 (the same with ttl 0 arrived)`,
        `to ${farName(context)}`,
      );
    },
  },
];
