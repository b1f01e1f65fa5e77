/**
 * One node of the broadcast tree in-process, for tests (runtime/p2p/tree/dissemination.ts
 * with the real gossip handler, link table and P2P consumer): fake peer links, a fake local
 * module subscribed to TYPE, a fake clock; and helpers to read what the peers were sent.
 */
import pino from 'pino';
import { decodeFrame, MessageType } from '../../generated/index.js';
import { GossipHandler } from '../../runtime/core/gossip-handler.js';
import { makeItem } from '../../runtime/core/item.js';
import type { Handshake } from '../../runtime/p2p/handshake.js';
import { PeerLink } from '../../runtime/p2p/link.js';
import { LinkTable } from '../../runtime/p2p/link-table.js';
import { P2pConsumer } from '../../runtime/p2p/p2p-consumer.js';
import type { PeerExchange } from '../../runtime/p2p/peer-exchange.js';
import { Dissemination, type DisseminationMode, type TreeEvent } from '../../runtime/p2p/tree/dissemination.js';
import { idToBytes } from '../../runtime/p2p/tree/item-ids.js';
import { FakeClock } from './fake-clock.js';
import { FakeConnection } from './fake-connection.js';

export const TYPE = 7;
export const GRAFT_TIMEOUT = 500;
export const LAZY_DELAY = 50;

export function node(mode: DisseminationMode, peerCount = 3, servingWindowBytes = 1 << 20) {
  const clock = new FakeClock();
  const logger = pino({ level: 'silent' });
  const links = new LinkTable(logger);
  const events: TreeEvent[] = [];
  const source = { hasSeen: (id: string) => handler.hasSeen(id), servable: (id: string) => handler.servable(id) };
  const tree = new Dissemination(
    links,
    { dissemination: mode, graftTimeoutMs: GRAFT_TIMEOUT, lazyPushDelayMs: LAZY_DELAY, servingWindowBytes },
    source,
    { tree: (event, count = 1) => events.push(...Array<TreeEvent>(count).fill(event)) },
    clock,
    () => 0, // the first wait exactly graft_timeout
  );
  const handler: GossipHandler = new GossipHandler({
    cacheSize: 100,
    seenSetSize: 1000,
    validationTimeoutMs: 60_000,
    peers: tree,
    logger,
    observer: { item: () => {} },
  });
  const peers = Array.from({ length: peerCount }, (_, n) => {
    const fake = new FakeConnection(`10.0.0.${n + 1}`, false);
    fake.onClose = (reason) => links.remove(fake.asConnection(), reason);
    const link = new PeerLink(fake.asConnection(), 'outbound', null, clock);
    link.advance({ phase: 'active' });
    links.add(link);
    links.activated(link);
    return fake;
  });
  const consumer = new P2pConsumer(
    links,
    {} as Handshake,
    {} as PeerExchange,
    { receiveFromPeer: (peer, announce) => handler.receiveFromPeer(peer, announce) },
    tree,
  );
  /** Hands one frame from `peer` to the P2P consumer, as the server would. */
  const deliver = (peer: FakeConnection, bytes: Uint8Array): void =>
    consumer.consume({
      connection: peer.asConnection(),
      frame: decodeFrame(bytes),
      bytes,
    });
  const module = new FakeConnection('127.0.0.1', true);
  handler.local.subscribe(module.asConnection(), TYPE);
  return { clock, links, tree, handler, peers, events, deliver, module };
}

export const item = (data: string, ttl = 0) => ({ ttl, dataType: TYPE, data: Buffer.from(data) });
export const idOf = (data: string) => makeItem(TYPE, Buffer.from(data)).id;
export const idBytes = (data: string) => ({ id: idToBytes(idOf(data)) });
export const payloads = (peer: FakeConnection) =>
  peer.sentOf(MessageType.GOSSIP_ANNOUNCE).map((f) => Buffer.from(f.message.data).toString());
export const ihaveIds = (peer: FakeConnection) =>
  peer.sentOf(MessageType.GOSSIP_IHAVE).flatMap((f) => f.message.ids.map((e) => Buffer.from(e.id).toString('latin1')));
export const validateAll = (handler: GossipHandler, module: FakeConnection, valid: boolean) => {
  for (const frame of module.sentOf(MessageType.GOSSIP_NOTIFICATION))
    handler.local.validate(module.asConnection(), frame.message.messageId, valid);
};
