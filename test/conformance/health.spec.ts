/**
 * The suite's check between cases (conformance/health.ts) against two in-process fake nodes,
 * a hub (node 0) and a leaf (node 1) whose link the test can cut: a probe counts only when the
 * item it announced arrives, and no two probes share a data type (so that neither sees the
 * other's items).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { NodeHealth } from '../../conformance/health.js';
import type { FactState } from '../../conformance/runner.js';
import type { Fact, NodeInfo } from '../../conformance/types.js';
import { FramedSocket, frameType } from '../../runtime/entry/client.js';
import { GossipAnnounce, GossipNotification, GossipNotify, MessageType } from '../../runtime/entry/codec.js';

interface FakeNode {
  info: NodeInfo;
  readonly subscribers: Map<number, Set<FramedSocket>>;
  /** Every NOTIFY's type, in arrival order. */
  readonly subscribed: number[];
  /** Called for each new subscription (to send it an item that was already on its way). */
  onSubscribe: (connection: FramedSocket, dataType: number) => void;
  close(): void;
}

function notification(dataType: number, data: Uint8Array): Uint8Array {
  return GossipNotification.encode({ messageId: 1, dataType, data });
}

/** An API node that delivers a local ANNOUNCE to its own and (while `link.up`) its peer's subscribers. */
async function fakeNode(index: number, link: { up: boolean }, peers: FakeNode[]): Promise<FakeNode> {
  const subscribers = new Map<number, Set<FramedSocket>>();
  const sockets = new Set<net.Socket>();
  const node: FakeNode = {
    info: { index, api: { host: '127.0.0.1', port: 0 }, p2p: null }, // port: set once listening
    subscribers,
    subscribed: [],
    onSubscribe: () => undefined,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
  const deliver = (to: FakeNode, dataType: number, data: Uint8Array, except: FramedSocket): void => {
    for (const s of to.subscribers.get(dataType) ?? []) if (s !== except) s.write(notification(dataType, data));
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const connection = FramedSocket.adopt(socket);
    void (async () => {
      while (!connection.isClosed) {
        const frame = await connection.take(60_000);
        if (!frame) continue;
        if (frameType(frame) === MessageType.GOSSIP_NOTIFY) {
          const { dataType } = GossipNotify.decode(frame);
          subscribers.set(dataType, (subscribers.get(dataType) ?? new Set()).add(connection));
          node.subscribed.push(dataType);
          node.onSubscribe(connection, dataType);
        } else if (frameType(frame) === MessageType.GOSSIP_ANNOUNCE) {
          const { dataType, data } = GossipAnnounce.decode(frame);
          deliver(node, dataType, data, connection);
          if (link.up) for (const peer of peers) if (peer !== node) deliver(peer, dataType, data, connection);
        }
      }
      for (const set of subscribers.values()) set.delete(connection);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  node.info = { ...node.info, api: { host: '127.0.0.1', port } };
  return node;
}

describe('conformance node health check', () => {
  const leafToHubShown = new Map<Fact, FactState>([['path:leaf-to-hub', { ok: true, by: 'x', reason: '' }]]);
  let nodes: FakeNode[] = [];
  afterEach(() => nodes.forEach((n) => n.close()));
  const hubAndLeaf = async (link: { up: boolean }): Promise<NodeHealth> => {
    const peers: FakeNode[] = [];
    nodes = [await fakeNode(0, link, peers), await fakeNode(1, link, peers)];
    peers.push(...nodes);
    return new NodeHealth(
      nodes.map((n) => n.info),
      500,
      null,
    );
  };

  it('reports a leaf whose link to node 0 died although an item it did not announce, of its type, reached node 0', async () => {
    const link = { up: true };
    const health = await hubAndLeaf(link);
    assert.deepEqual(await health.check(leafToHubShown), [], 'link up: nothing to report');

    link.up = false;
    // A node that forwards a local item once its own subscriber validated it sends another
    // node's probe on only after that probe ended: it reaches node 0's next probe subscriber.
    nodes[0]!.onSubscribe = (connection, dataType) =>
      connection.write(notification(dataType, Buffer.from('an earlier probe of node 2')));
    const found = await health.check(leafToHubShown);
    assert.deepEqual(
      found.map((p) => p.index),
      [1],
    );
    assert.match(found[0]!.what, /not delivered to node 0/);
  });

  it('gives every probe round trip a data type of its own, outside the range cases use', async () => {
    const health = await hubAndLeaf({ up: true });
    const leafToHubAndLocal = new Map(leafToHubShown).set('path:local', { ok: true, by: 'x', reason: '' });
    await health.check(leafToHubAndLocal);
    await health.check(leafToHubAndLocal);
    // Per check: a local round trip on each node, then leaf → node 0; each subscribes twice (subscriber, announcer).
    const types = [...nodes[0]!.subscribed, ...nodes[1]!.subscribed];
    assert.equal(types.length, 2 * 3 * 2, types.join(' '));
    assert.equal(new Set(types).size, 2 * 3, types.join(' '));
    assert.ok(
      types.every((t) => t >= 61_000 && t < 65_000),
      types.join(' '),
    );
  });
});
