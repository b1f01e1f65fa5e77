/**
 * In-process fake Gossip nodes, API side only (loopback, port 0), linked to each other in
 * memory: enough §3.1 for the conformance suite's own tests to run cases and health probes
 * against nodes whose forwarding the test controls. A local ANNOUNCE is notified to the node's
 * other subscribers and pushed to its links; an item from a link is notified to the
 * subscribers of its type and pushed on (to every link but the sender) once all of them
 * answered valid=1; no subscriber, valid=0 or a seen item stop it. `forwards` decides each
 * push (all by default): the test's way to cut a link or drop items.
 */
import net from 'node:net';
import type { NodeInfo } from '../../conformance/types.js';
import { FramedSocket, frameType } from '../../runtime/entry/client.js';
import {
  GossipAnnounce,
  GossipNotification,
  GossipNotify,
  GossipValidation,
  MessageType,
} from '../../runtime/entry/codec.js';

export interface FakeItem {
  readonly dataType: number;
  readonly data: Uint8Array;
}

export interface FakeGossipNode {
  info: NodeInfo;
  readonly links: FakeGossipNode[];
  /** Every NOTIFY's type, in arrival order. */
  readonly subscribed: number[];
  /** Whether to push `item` to link `to`; `from` is the link it came over (null: announced here). */
  forwards: (item: FakeItem, to: FakeGossipNode, from: FakeGossipNode | null) => boolean;
  /** Called for each new subscription (e.g. to send it an item that was already on its way). */
  onSubscribe: (connection: FramedSocket, dataType: number) => void;
  receive(item: FakeItem, from: FakeGossipNode): void;
  close(): void;
}

interface Pending {
  readonly item: FakeItem;
  readonly from: FakeGossipNode;
  readonly waitingFor: Set<FramedSocket>;
  dropped: boolean;
}

/** Nodes 0…count-1, linked along `edges` (pairs of indexes). */
export async function fakeGossipNetwork(count: number, edges: [number, number][]): Promise<FakeGossipNode[]> {
  const nodes: FakeGossipNode[] = [];
  for (let index = 0; index < count; index++) nodes.push(await fakeGossipNode(index));
  for (const [a, b] of edges) {
    nodes[a]!.links.push(nodes[b]!);
    nodes[b]!.links.push(nodes[a]!);
  }
  return nodes;
}

async function fakeGossipNode(index: number): Promise<FakeGossipNode> {
  const subscribers = new Map<number, Set<FramedSocket>>();
  const seen = new Set<string>();
  const pending = new Map<FramedSocket, Map<number, Pending>>();
  const sockets = new Set<net.Socket>();
  let nextMessageId = 0;
  const key = (item: FakeItem): string => `${item.dataType}:${Buffer.from(item.data).toString('hex')}`;
  const push = (item: FakeItem, from: FakeGossipNode | null): void => {
    for (const link of node.links)
      if (link !== from && node.forwards(item, link, from)) setImmediate(() => link.receive(item, node));
  };
  /** Notifies `to` of `item`; with `entry`, each answer counts towards it. */
  const notify = (item: FakeItem, to: FramedSocket[], entry: Pending | null): void => {
    for (const connection of to) {
      const messageId = nextMessageId++ % 65_536;
      connection.write(GossipNotification.encode({ messageId, ...item }));
      if (!entry) continue;
      entry.waitingFor.add(connection);
      pending.get(connection)?.set(messageId, entry);
    }
  };
  const subscribersOf = (dataType: number, except: FramedSocket | null): FramedSocket[] =>
    [...(subscribers.get(dataType) ?? [])].filter((s) => s !== except);
  /** `connection` no longer holds `entry` up (it answered valid=1 or left). */
  const release = (entry: Pending, connection: FramedSocket): void => {
    entry.waitingFor.delete(connection);
    if (entry.waitingFor.size === 0 && !entry.dropped) push(entry.item, entry.from);
  };
  const node: FakeGossipNode = {
    info: { index, api: { host: '127.0.0.1', port: 0 }, p2p: null }, // port: set once listening
    links: [],
    subscribed: [],
    forwards: () => true,
    onSubscribe: () => undefined,
    receive: (item, from) => {
      if (seen.has(key(item))) return;
      seen.add(key(item));
      const to = subscribersOf(item.dataType, null);
      if (to.length > 0) notify(item, to, { item, from, waitingFor: new Set(), dropped: false });
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
  const validated = (connection: FramedSocket, frame: Uint8Array): void => {
    const { messageId, valid } = GossipValidation.decode(frame);
    const entry = pending.get(connection)?.get(messageId);
    if (!entry) return;
    pending.get(connection)!.delete(messageId);
    if (!valid) entry.dropped = true;
    else release(entry, connection);
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const connection = FramedSocket.adopt(socket);
    pending.set(connection, new Map());
    void (async () => {
      while (!connection.isClosed) {
        const frame = await connection.take(60_000);
        if (!frame) continue;
        const type = frameType(frame);
        if (type === MessageType.GOSSIP_NOTIFY) {
          const { dataType } = GossipNotify.decode(frame);
          subscribers.set(dataType, (subscribers.get(dataType) ?? new Set()).add(connection));
          node.subscribed.push(dataType);
          node.onSubscribe(connection, dataType);
        } else if (type === MessageType.GOSSIP_ANNOUNCE) {
          const { dataType, data } = GossipAnnounce.decode(frame);
          seen.add(key({ dataType, data }));
          notify({ dataType, data }, subscribersOf(dataType, connection), null);
          push({ dataType, data }, null);
        } else if (type === MessageType.GOSSIP_VALIDATION) {
          validated(connection, frame);
        }
      }
      for (const set of subscribers.values()) set.delete(connection);
      const held = pending.get(connection)!;
      pending.delete(connection);
      for (const entry of held.values()) release(entry, connection);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  node.info = { ...node.info, api: { host: '127.0.0.1', port } };
  return node;
}
