/**
 * The Gossip_Handler of the design: items, never sockets. It keeps the seen-set and the
 * knowledge base, shows new items to the local modules, waits for their validations, and
 * spreads valid items to peers (docs/protocol.md §3.1, §4.4). Frames reach it through the
 * API and P2P consumers; it reaches peers through the PeerNetwork and local modules
 * through LocalModules.
 */
import type { Logger } from 'pino';
import { GossipAnnounce } from '../../generated/index.js';
import { LocalModules } from '../api/local-modules.js';
import type { TrackedItem, ValidationOutcome } from '../api/validation-tracker.js';
import type { Connection } from './connection.js';
import { makeItem, itemIdHex, withOwnData, type Item } from './item.js';
import { KnowledgeBase } from './knowledge-base.js';
import { SeenSet } from './seen-set.js';

export type ItemEvent = 'announced' | 'received' | 'delivered' | 'duplicate' | 'invalid' | 'forwarded' | 'dropped';

export interface HandlerObserver {
  item(event: ItemEvent, reason?: string): void;
}

/** The item a pushed frame carries: its identity and the ttl in the frame. */
export interface PushedItem {
  readonly id: string;
  readonly ttl: number;
}

/** The peer-to-peer side as the handler sees it (runtime/p2p/tree/dissemination.ts). */
export interface PeerNetwork {
  /**
   * Pushes one item's ANNOUNCE frame to the active links not in `except` (§4.4), or, for a
   * ttl-0 item in tree mode, to the eager ones and its id to the lazy ones (§4.8); returns
   * how many links took the item or its id.
   */
  broadcast(frame: Uint8Array, except: readonly Connection[], item: PushedItem): number;
  /** A peer sent an item a local module called invalid (§3.1: it counts against the peer). */
  reportInvalidItem(peer: Connection): void;
  /** A copy of item `id` came from `peer`: the first one (`isNew`) or a duplicate (§4.8 item 5). */
  arrived?(peer: Connection, id: string, ttl: number, isNew: boolean): void;
}

/** What the API consumer hands over. */
export interface LocalItems {
  announceLocal(announcer: Connection, announce: GossipAnnounce): void;
}

/** What the P2P consumer hands over. */
export interface PeerItems {
  receiveFromPeer(peer: Connection, announce: GossipAnnounce): void;
}

export interface HandlerOptions {
  readonly cacheSize: number;
  /** `knowledge_base_bytes` (docs/protocol.md §7.2); unbounded if absent. */
  readonly knowledgeBaseBytes?: number;
  readonly seenSetSize: number;
  readonly validationTimeoutMs: number;
  readonly peers: PeerNetwork;
  readonly logger: Logger;
  readonly observer: HandlerObserver;
}

/** Where a tracked item came from and how far it may still travel. */
export interface Origin {
  readonly fromPeer: Connection | null;
  readonly ttl: number;
  /**
   * The other peers that sent us the item while it waited for validation: their copies are
   * duplicates, and they need not get it back (fewer duplicates per node per item,
   * bench:net). Null until a second peer sends it: most items never get a copy in that
   * time, and a collection per item waiting for validation was a large part of a flood's
   * garbage (docs/memory.md).
   */
  alsoSentBy: Connection[] | null;
}

const NOBODY: readonly Connection[] = [];

/** Records another sender of an item waiting for validation; a peer repeating itself adds nothing. */
function addSender(origin: Origin, peer: Connection): void {
  if (peer === origin.fromPeer || origin.alsoSentBy?.includes(peer)) return;
  (origin.alsoSentBy ??= []).push(peer);
}

export class GossipHandler implements LocalItems, PeerItems {
  readonly seen: SeenSet;
  readonly knowledge: KnowledgeBase;
  readonly local: LocalModules<Origin>;
  /** Peer items waiting for validation, by item id: the knowledge base may evict them. */
  private readonly awaitingValidation = new Map<string, TrackedItem<Origin>>();
  /**
   * Ids of the ttl-0 items this node pushed (validated or local) that the knowledge base still
   * holds: the items a GRAFT may be served (§4.8 item 6). Left on eviction, so bounded by it.
   */
  private readonly servableIds = new Set<string>();

  constructor(private readonly options: HandlerOptions) {
    this.seen = new SeenSet(options.seenSetSize);
    this.knowledge = new KnowledgeBase(options.cacheSize, (item) => this.evicted(item), options.knowledgeBaseBytes);
    this.local = new LocalModules<Origin>(
      options.validationTimeoutMs,
      (record, outcome) => this.settled(record, outcome),
      options.observer,
    );
  }

  close(): void {
    this.local.close();
  }

  /** What the handler keeps, for the `gossip_state_size` gauge (docs/memory.md). */
  stateSizes(): Record<string, number> {
    return {
      knowledge_items: this.knowledge.size,
      knowledge_bytes: this.knowledge.bytes,
      seen_ids: this.seen.size,
      awaiting_validation: this.awaitingValidation.size,
      servable_ids: this.servableIds.size,
      validation_records: this.local.validations.trackedCount,
      subscribed_connections: this.local.subscriptions.connectionCount,
    };
  }

  /** §3.1: a local item is trusted: pushed to peers at once and shown to other local modules. */
  announceLocal(announcer: Connection, announce: GossipAnnounce): void {
    const item = makeItem(announce.dataType, announce.data);
    if (!this.seen.add(item.id)) {
      this.options.observer.item('duplicate', 'local');
      return;
    }
    this.options.observer.item('announced');
    this.knowledge.add(withOwnData(item));
    this.local.notify(item, { fromPeer: null, ttl: announce.ttl, alsoSentBy: null }, announcer, false);
    this.push(item, announce.ttl, NOBODY);
  }

  /** Has this node handled item `id` (§4.4 seen-set)? An IHAVE of it is then not a missing item (§4.8). */
  hasSeen(id: string): boolean {
    return this.seen.has(id);
  }

  /** The item a GRAFT for `id` is answered with, if any (§4.8 item 6): a ttl-0 item pushed and still held. */
  servable(id: string): Item | undefined {
    return this.servableIds.has(id) ? this.knowledge.get(id) : undefined;
  }

  /** §3.1, §4.4: a peer's item is delivered, validated, then forwarded. */
  receiveFromPeer(peer: Connection, announce: GossipAnnounce): void {
    const received = makeItem(announce.dataType, announce.data);
    if (!this.seen.add(received.id)) {
      this.options.observer.item('duplicate', 'peer');
      const origin = this.awaitingValidation.get(received.id)?.context;
      if (origin) addSender(origin, peer);
      this.options.peers.arrived?.(peer, received.id, announce.ttl, false);
      return;
    }
    this.options.observer.item('received');
    this.options.peers.arrived?.(peer, received.id, announce.ttl, true);
    if (!this.local.hasSubscribers(received.dataType)) {
      this.options.observer.item('dropped', 'unsubscribed');
      return;
    }
    const item = withOwnData(received); // kept for a while: must not pin the read chunk
    this.knowledge.add(item);
    // If no NOTIFICATION could be sent (every subscriber's queue full), the record
    // settles as 'abandoned' at once: nobody vouched for the item.
    const record = this.local.notify(item, { fromPeer: peer, ttl: announce.ttl, alsoSentBy: null }, null, true);
    if (!record.isSettled) this.awaitingValidation.set(item.id, record);
  }

  private settled(record: TrackedItem<Origin>, outcome: ValidationOutcome): void {
    const { fromPeer, ttl, alsoSentBy } = record.context;
    if (fromPeer === null) return; // local items are trusted and already pushed
    this.awaitingValidation.delete(record.item.id);
    if (!this.knowledge.has(record.item.id)) return; // evicted while waiting: counted there
    switch (outcome) {
      case 'valid':
        this.forward(record.item, ttl, alsoSentBy ? [fromPeer, ...alsoSentBy] : [fromPeer]);
        return;
      case 'invalid':
        this.options.observer.item('invalid');
        this.knowledge.delete(record.item.id);
        this.options.peers.reportInvalidItem(fromPeer);
        this.options.logger.debug({ item: itemIdHex(record.item.id), peer: fromPeer.label }, 'item invalid');
        return;
      default:
        this.options.observer.item('dropped', `validation-${outcome}`);
        this.knowledge.delete(record.item.id);
    }
  }

  /** §4.4: ttl 1 stops here; 0 stays 0 (unlimited); otherwise one hop is used up. */
  private forward(item: Item, receivedTtl: number, sentBy: readonly Connection[]): void {
    if (receivedTtl === 1) return;
    const ttl = receivedTtl === 0 ? 0 : receivedTtl - 1;
    this.push(item, ttl, sentBy);
  }

  private push(item: Item, ttl: number, except: readonly Connection[]): void {
    const frame = GossipAnnounce.encode({ ttl, dataType: item.dataType, data: item.data });
    if (ttl === 0 && this.knowledge.has(item.id)) this.servableIds.add(item.id);
    if (this.options.peers.broadcast(frame, except, { id: item.id, ttl }) > 0) this.options.observer.item('forwarded');
  }

  /** Only an item still waiting for validation is lost by eviction; `settled` then sees it gone. */
  private evicted(item: Item): void {
    this.servableIds.delete(item.id);
    const record = this.awaitingValidation.get(item.id);
    if (!record) return;
    this.awaitingValidation.delete(item.id);
    // The record waits on for its message IDs; the data it no longer needs (§7.2).
    this.local.validations.forgetData(record);
    this.options.observer.item('dropped', 'cache-evicted');
    // Checked first: under a flood nearly every item gets here, and the hex id costs even unlogged.
    if (this.options.logger.isLevelEnabled('debug'))
      this.options.logger.debug({ item: itemIdHex(item.id) }, 'evicted from the knowledge base before validation');
  }
}
