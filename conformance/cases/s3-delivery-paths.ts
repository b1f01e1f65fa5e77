/**
 * docs/protocol.md §3.1, the delivery preconditions: whether an announcer must subscribe, and
 * which observation paths (local, leaf → hub, hub → leaves) deliver at all. Later cases rely
 * on the paths these show to work, so they run first and live apart from the other §3 cases.
 */
import { describeItem, announceFrom, settle, Subscriber } from '../observe.js';
import { fail, pass, type ConformanceCase } from '../types.js';
import { expectDelivered, notDelivered } from './common.js';

export const deliveryPathCases: ConformanceCase[] = [
  {
    id: 'api/3.1/announce-without-subscription',
    group: 'api',
    section: '3.1',
    requirement:
      'An ANNOUNCE on a connection not subscribed to its type is accepted: the connection stays open (precondition).',
    minNodes: 1,
    provides: 'announce-unsubscribed',
    async run(context) {
      const item = { ttl: 0, dataType: context.freshDataType(), data: context.freshData() };
      const client = await announceFrom(context, context.nodes[0]!, item);
      const started = Date.now();
      if (!(await client.waitClosed(context.settings.quietMs))) return pass();
      return fail({
        message: `node 0 closed the announcing connection ${Date.now() - started} ms after the ANNOUNCE (${client.transport.closeReason})`,
        sent: `ANNOUNCE on a connection that sent no NOTIFY: ${describeItem(item)}`,
        expected: `the connection stays open for ${context.settings.quietMs} ms (§3.1 does not ask an announcer to subscribe; some implementations read the course's spec otherwise)`,
        got: `closed: ${client.transport.closeReason}`,
      });
    },
  },
  {
    id: 'api/3.1/local-delivery',
    group: 'api',
    section: '3.1',
    requirement: 'An item announced on a node is notified to another local connection subscribed to its type.',
    minNodes: 1,
    needs: ['announce-unsubscribed'],
    provides: 'path:local',
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.nodes[0]!, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.nodes[0]!, item);
      return expectDelivered(
        context,
        subscriber,
        item,
        'NOTIFY and ANNOUNCE on two connections to node 0',
        'to the other local subscriber on node 0',
      );
    },
  },
  {
    id: 'api/3.1/leaf-to-hub-delivery',
    group: 'api',
    section: '3.1',
    requirement:
      'An item announced on a leaf (node 1) reaches a subscriber on node 0, its only link whatever degree means.',
    minNodes: 2,
    needs: ['announce-unsubscribed'],
    provides: 'path:leaf-to-hub',
    async run(context) {
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, context.nodes[0]!, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      await announceFrom(context, context.nodes[1]!, item);
      return expectDelivered(context, subscriber, item, `ANNOUNCE on node 1: ${describeItem(item)}`, 'to node 0');
    },
  },
  {
    id: 'api/3.1/cross-node-delivery',
    group: 'api',
    section: '3.1',
    requirement: 'An item announced on node 0 reaches a subscriber on every other node.',
    minNodes: 2,
    needs: ['announce-unsubscribed'],
    provides: 'path:hub-to-leaves',
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
      const hint =
        lacking.length < others.length
          ? ' (an implementation that reads degree as its push fanout sends to only some of its links)'
          : '';
      return notDelivered(
        context,
        item,
        `ANNOUNCE on node 0: ${describeItem(item)}`,
        `to node(s) ${lacking.join(', ')}${hint}`,
      );
    },
  },
];
