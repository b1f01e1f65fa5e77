/**
 * The Gossip_Handler of the design: it sees decoded messages only, never sockets. It drains
 * the receive queues of both Servers (VALIDATION first, by the queues' priority), keeps
 * subscriptions, the seen-set and the knowledge base, hands out NOTIFICATIONs and waits
 * for their validations, and spreads items to peers through the overlay.
 */
import type { Logger } from 'pino';
import {
  GossipAnnounce,
  GossipNotification,
  MessageType,
  type Frame,
} from '../../generated/index.js';
import type { Connection } from './connection.js';
import { makeItem, itemIdHex, type Item } from './item.js';
import { KnowledgeBase } from './knowledge-base.js';
import { SeenSet } from './seen-set.js';
import type { Received, Server } from './server.js';
import { Subscriptions } from '../api/subscriptions.js';
import { ValidationTracker, type TrackedItem, type ValidationOutcome } from '../api/validation-tracker.js';

export type ItemEvent = 'announced' | 'received' | 'delivered' | 'duplicate' | 'invalid' | 'forwarded' | 'dropped';

export interface HandlerObserver {
  item(event: ItemEvent, reason?: string): void;
}

/** The peer-to-peer side as the handler sees it (runtime/overlay.ts implements it). */
export interface Overlay {
  /** Pushes one ANNOUNCE frame to every active link not in `except`; returns how many took it. */
  broadcast(frame: Uint8Array, except: ReadonlySet<Connection>): number;
  /** Frames of the P2P life cycle (HELLO, verification, peer exchange): the overlay's own. */
  handleControlFrame(connection: Connection, frame: Frame, bytes: Uint8Array): void;
  /** May this link push gossip now? Closes it when not (§4.2 item 2: verified links only). */
  admitsGossip(connection: Connection): boolean;
  /** A peer sent an item a local module called invalid (§3.1: it counts against the peer). */
  reportInvalidItem(connection: Connection): void;
}

export interface HandlerOptions {
  readonly cacheSize: number;
  readonly seenSetSize: number;
  readonly validationTimeoutMs: number;
  readonly logger: Logger;
  readonly observer: HandlerObserver;
}

/** Where a tracked item came from and how far it may still travel. */
interface Origin {
  readonly fromPeer: Connection | null;
  readonly ttl: number;
  /**
   * Every peer that sent us the item, the first included: copies that arrive while it
   * waits for validation are duplicates, and those peers need not get it back (fewer
   * duplicates per node per item, bench:net).
   */
  readonly sentBy: Set<Connection>;
}

const NOBODY: ReadonlySet<Connection> = new Set();

/** Where NOTIFICATION carries its message ID: after size and type (PROTOCOL.md §3). */
const NOTIFICATION_MESSAGE_ID_OFFSET = 4;

/** Items handled per turn of the event loop before yielding to I/O. */
const PUMP_BATCH = 512;

export class GossipHandler {
  readonly subscriptions = new Subscriptions();
  readonly seen: SeenSet;
  readonly knowledge: KnowledgeBase;
  readonly validations: ValidationTracker<Origin>;
  /** Peer items waiting for validation, by item id: the knowledge base may evict them. */
  private readonly awaitingValidation = new Map<string, TrackedItem<Origin>>();
  private readonly servers: Server[] = [];
  private overlay: Overlay | null = null;
  private isPumpScheduled = false;

  constructor(private readonly options: HandlerOptions) {
    this.seen = new SeenSet(options.seenSetSize);
    this.knowledge = new KnowledgeBase(options.cacheSize, (item) => this.evicted(item));
    this.validations = new ValidationTracker<Origin>(options.validationTimeoutMs, (record, outcome) =>
      this.settled(record, outcome),
    );
  }

  attach(server: Server): void {
    this.servers.push(server);
  }

  setOverlay(overlay: Overlay): void {
    this.overlay = overlay;
  }

  /** A Server queued frames: drain the queues on the next turn. */
  wake = (): void => {
    if (this.isPumpScheduled) return;
    this.isPumpScheduled = true;
    setImmediate(this.pump);
  };

  close(): void {
    this.validations.close();
  }

  /** An API connection closed: its subscriptions end and it no longer counts for validations. */
  apiConnectionClosed(connection: Connection): void {
    this.subscriptions.removeConnection(connection);
    this.validations.removeConnection(connection);
  }

  private pump = (): void => {
    this.isPumpScheduled = false;
    let handled = 0;
    // Priority across servers too: every queued VALIDATION is served before other frames.
    while (handled < PUMP_BATCH) {
      const next = this.nextReceived();
      if (!next) break;
      const [server, received] = next;
      handled++;
      try {
        if (server.name === 'api') this.onApiFrame(received.connection, received.frame);
        else this.onPeerFrame(received);
      } catch (error) {
        // A handler bug must not take the daemon down: drop that connection, keep serving.
        this.options.logger.error({ err: error, connection: received.connection.label }, 'handler error');
        received.connection.close('internal error');
      } finally {
        server.frameHandled(received.connection);
      }
    }
    if (this.servers.some((server) => server.receiveQueue.length > 0)) this.wake();
    else for (const server of this.servers) server.resumeWhereRoom();
  };

  private nextReceived(): [Server, Received] | null {
    let best: Server | null = null;
    for (const server of this.servers) {
      const queue = server.receiveQueue;
      if (queue.length === 0) continue;
      if (queue.hasPriority) return [server, queue.shift()!];
      best ??= server;
    }
    return best ? [best, best.receiveQueue.shift()!] : null;
  }

  // ---- API (PROTOCOL.md §3) ----

  private onApiFrame(connection: Connection, frame: Frame): void {
    switch (frame.type) {
      case MessageType.GOSSIP_NOTIFY:
        this.subscriptions.subscribe(connection, frame.message.dataType);
        return;
      case MessageType.GOSSIP_VALIDATION:
        this.validations.validate(connection, frame.message.messageId, frame.message.valid);
        return;
      case MessageType.GOSSIP_ANNOUNCE:
        this.announceLocal(connection, frame.message);
        return;
      default:
        // The Server's policy admits only the three types above (§3.1).
        connection.close(`type ${frame.type} not allowed on the API`);
    }
  }

  /** §3.1: a local item is trusted: pushed to peers at once and shown to other local modules. */
  private announceLocal(announcer: Connection, announce: GossipAnnounce): void {
    const item = makeItem(announce.dataType, announce.data);
    if (!this.seen.add(item.id)) {
      this.options.observer.item('duplicate', 'local');
      return;
    }
    this.options.observer.item('announced');
    this.knowledge.add(item);
    this.notify(item, { fromPeer: null, ttl: announce.ttl, sentBy: new Set() }, announcer, false);
    this.push(item, announce.ttl, NOBODY);
  }

  // ---- P2P (PROTOCOL.md §4) ----

  private onPeerFrame({ connection, frame, bytes }: Received): void {
    if (!this.overlay) return;
    if (frame.type !== MessageType.GOSSIP_ANNOUNCE) {
      this.overlay.handleControlFrame(connection, frame, bytes);
    } else if (this.overlay.admitsGossip(connection)) {
      this.receiveFromPeer(connection, frame.message);
    }
  }

  /** §3.1, §4.4: a peer's item is delivered, validated, then forwarded. */
  private receiveFromPeer(peer: Connection, announce: GossipAnnounce): void {
    const item = makeItem(announce.dataType, announce.data);
    if (!this.seen.add(item.id)) {
      this.options.observer.item('duplicate', 'peer');
      this.awaitingValidation.get(item.id)?.context.sentBy.add(peer);
      return;
    }
    this.options.observer.item('received');
    if (!this.subscriptions.hasSubscribers(item.dataType)) {
      this.options.observer.item('dropped', 'unsubscribed');
      return;
    }
    this.knowledge.add(item);
    // If no NOTIFICATION could be sent (every subscriber's queue full), the record
    // settles as 'abandoned' at once: nobody vouched for the item.
    const record = this.notify(item, { fromPeer: peer, ttl: announce.ttl, sentBy: new Set([peer]) }, null, true);
    if (!record.isSettled) this.awaitingValidation.set(item.id, record);
  }

  /** Sends a NOTIFICATION to every subscriber but `except`; returns the tracking record. */
  private notify(item: Item, origin: Origin, except: Connection | null, needsValidation: boolean): TrackedItem<Origin> {
    const subscribers = [...this.subscriptions.subscribers(item.dataType)].filter((c) => c !== except);
    const record = this.validations.track(item, origin, subscribers, needsValidation);
    // Encoded once; each subscriber gets a copy with its own message ID (bytes 4-5, §3).
    // Copies come from Node's pooled allocator: far fewer ArrayBuffers for the GC to chase
    // than one fresh encode per subscriber.
    const template = GossipNotification.encode({ messageId: 0, dataType: item.dataType, data: item.data });
    for (const [connection, messageId] of [...record.messageIds]) {
      const frame = Buffer.allocUnsafe(template.length);
      frame.set(template);
      frame.writeUInt16BE(messageId, NOTIFICATION_MESSAGE_ID_OFFSET);
      if (connection.send(frame)) {
        this.options.observer.item('delivered');
      } else {
        this.options.observer.item('dropped', 'subscriber-send-queue-full');
        this.validations.withdraw(record, connection);
      }
    }
    return record;
  }

  private settled(record: TrackedItem<Origin>, outcome: ValidationOutcome): void {
    const { fromPeer, ttl, sentBy } = record.context;
    if (fromPeer === null) return; // local items are trusted and already pushed
    this.awaitingValidation.delete(record.item.id);
    if (!this.knowledge.has(record.item.id)) return; // evicted while waiting: counted there
    switch (outcome) {
      case 'valid':
        this.forward(record.item, ttl, sentBy);
        return;
      case 'invalid':
        this.options.observer.item('invalid');
        this.knowledge.delete(record.item.id);
        this.overlay?.reportInvalidItem(fromPeer);
        this.options.logger.debug({ item: itemIdHex(record.item.id), peer: fromPeer.label }, 'item invalid');
        return;
      default:
        this.options.observer.item('dropped', `validation-${outcome}`);
        this.knowledge.delete(record.item.id);
    }
  }

  /** §4.4: ttl 1 stops here; 0 stays 0 (unlimited); otherwise one hop is used up. */
  private forward(item: Item, receivedTtl: number, sentBy: ReadonlySet<Connection>): void {
    if (receivedTtl === 1) return;
    const ttl = receivedTtl === 0 ? 0 : receivedTtl - 1;
    this.push(item, ttl, sentBy);
  }

  private push(item: Item, ttl: number, except: ReadonlySet<Connection>): void {
    if (!this.overlay) return;
    const frame = GossipAnnounce.encode({ ttl, dataType: item.dataType, data: item.data });
    const count = this.overlay.broadcast(frame, except);
    if (count > 0) this.options.observer.item('forwarded');
  }

  /** Only an item still waiting for validation is lost by eviction; `settled` then sees it gone. */
  private evicted(item: Item): void {
    if (!this.awaitingValidation.delete(item.id)) return;
    this.options.observer.item('dropped', 'cache-evicted');
    this.options.logger.debug({ item: itemIdHex(item.id) }, 'evicted from the knowledge base before validation');
  }
}
