/**
 * How items leave this node (docs/protocol.md §4.4, §4.8): the PeerNetwork the gossip handler
 * pushes to. In flood mode every item goes on every active link; in tree mode a ttl-0 item
 * goes on the eager links and its id, batched in IHAVEs, on the lazy ones. In both modes the
 * node answers IHAVE (pulls what it misses), GRAFT (serves what it holds) and PRUNE.
 *
 * The parts, each testable alone: link-modes.ts (eager or lazy), first-links.ts (where each
 * item came from first), lazy-batches.ts (IHAVE batching), missing-items.ts (pulls and the
 * announcers that never serve).
 */
import { GossipAnnounce, GossipGraft, GossipIhave, GossipPrune } from '../../../generated/index.js';
import type { DisseminationMode } from '../../constants.js';
import type { Clock } from '../../core/clock.js';
import type { Connection } from '../../core/connection.js';
import type { PeerNetwork, PushedItem } from '../../core/gossip-handler.js';
import type { Item } from '../../core/item.js';
import type { LinkTable } from '../link-table.js';
import { FirstLinks } from './first-links.js';
import { idFromBytes, idToBytes } from './item-ids.js';
import { LazyBatches } from './lazy-batches.js';
import { LinkModes, type LinkMode } from './link-modes.js';
import { MissingItems } from './missing-items.js';
import { PruningItems } from './pruning-items.js';
import { ServingWindow } from './serving-window.js';
import { WaitingAnswers } from './waiting-answers.js';

export type { DisseminationMode };

export interface DisseminationSettings {
  readonly dissemination: DisseminationMode;
  readonly graftTimeoutMs: number;
  readonly lazyPushDelayMs: number;
  /** Bytes the serving window may hold (§4.8 item 6: a quarter of `knowledge_base_bytes`). */
  readonly servingWindowBytes: number;
}

/** How long an announced item stays servable, in units of graft_timeout beyond lazy_push_delay (§4.8 item 6). */
const SERVING_WINDOW_GRAFT_TIMEOUTS = 6;

/** What the tree asks of the gossip handler (runtime/core/gossip-handler.ts). */
export interface ItemSource {
  hasSeen(id: string): boolean;
  servable(id: string): Item | undefined;
}

/** Counted in `gossip_tree_events_total{event}` (docs/configuration.md). */
export type TreeEvent =
  | 'ihave-id-sent'
  | 'ihave-id-received'
  | 'ihave-id-ignored'
  | 'graft-id-sent'
  | 'graft-id-received'
  | 'graft-id-served'
  | 'graft-unserved'
  | 'pull-given-up'
  | 'prune-sent'
  | 'prune-withheld'
  | 'prune-received'
  | 'lazy-as-eager'
  | 'eager-as-lazy'
  | 'graft-answer-waited'
  | 'graft-answer-dropped';

export interface TreeObserver {
  tree(event: TreeEvent, count?: number): void;
}

/** The three tree messages, as the P2P consumer hands them over (active links only). */
export interface TreeMessages {
  ihave(peer: Connection, ids: readonly { id: Uint8Array }[]): void;
  graft(peer: Connection, ids: readonly { id: Uint8Array }[]): void;
  prune(peer: Connection): void;
}

const PRUNE_FRAME = GossipPrune.encode({});

export class Dissemination implements PeerNetwork, TreeMessages {
  private readonly modes = new LinkModes();
  private readonly lazy: LazyBatches;
  private readonly missing: MissingItems;
  private readonly firstLinks = new FirstLinks();
  private readonly pruning = new PruningItems();
  private readonly serving: ServingWindow;
  /** GRAFT answers waiting for room in their link's send queue (§4.8 item 5). */
  private readonly answers: WaitingAnswers;
  /** Links whose peer has served this node a GRAFT (§4.8 item 7); gone with the connection. */
  private readonly servingLinks = new WeakSet<Connection>();

  constructor(
    private readonly links: LinkTable,
    private readonly settings: DisseminationSettings,
    private readonly items: ItemSource,
    private readonly observer: TreeObserver,
    clock: Clock,
    /** Spreads the first wait for a missing item (missing-items.ts); tests fix it. */
    random: () => number = Math.random,
  ) {
    this.lazy = new LazyBatches(clock, settings.lazyPushDelayMs, (link, ids) => this.sendIhave(link, ids));
    const servedForMs = settings.lazyPushDelayMs + SERVING_WINDOW_GRAFT_TIMEOUTS * settings.graftTimeoutMs;
    this.serving = new ServingWindow(clock, servedForMs, settings.servingWindowBytes);
    this.answers = new WaitingAnswers(clock, {
      frameOf: (id) => this.serving.frameOf(id) ?? this.servableFrame(id),
      sent: (_link, count) => this.observer.tree('graft-id-served', count),
      waited: (_link, count) => this.observer.tree('graft-answer-waited', count),
      dropped: (_link, count) => this.observer.tree('graft-answer-dropped', count),
    });
    this.missing = new MissingItems(
      clock,
      settings.graftTimeoutMs,
      {
        graft: (link, ids) => this.sendGraft(link, ids),
        unserved: (link) => {
          this.observer.tree('graft-unserved');
          // §4.8 item 7: only a peer that never served counts (an honest one may have evicted
          // the item), and not while its frames wait unread here: its answer may be among them.
          const mayBeAnswered = link.queuedFrames > 0 || link.isPaused;
          if (!this.servingLinks.has(link) && !mayBeAnswered) this.links.reportUnservedGraft(link);
        },
        served: (link) => {
          this.servingLinks.add(link);
          this.links.clearUnservedGrafts(link);
        },
        givenUp: () => this.observer.tree('pull-given-up'),
      },
      random,
    );
    links.listen({
      activated: (link) => this.modes.add(link.connection),
      closed: (link) => {
        this.modes.remove(link.connection);
        this.lazy.drop(link.connection);
        this.missing.linkClosed(link.connection);
        this.answers.linkClosed(link.connection);
        this.firstLinks.forget(link.connection);
      },
    });
  }

  get mode(): DisseminationMode {
    return this.settings.dissemination;
  }

  modeOf(link: Connection): LinkMode | undefined {
    return this.modes.modeOf(link);
  }

  linkCounts(): Record<LinkMode, number> {
    return this.modes.counts();
  }

  /** What the tree keeps, for the `gossip_state_size` gauge (docs/memory.md). */
  stateSizes(): Record<string, number> {
    return {
      missing_ids: this.missing.size,
      lazy_ids_waiting: this.lazy.waiting,
      serving_window_items: this.serving.size,
      graft_answers_waiting: this.answers.size,
    };
  }

  close(): void {
    this.lazy.close();
    this.missing.close();
    this.answers.close();
  }

  // ---- PeerNetwork: what the gossip handler asks of the P2P side ----

  broadcast(frame: Uint8Array, except: readonly Connection[], item: PushedItem): number {
    // §4.8 item 2: only ttl-0 items use the tree; everything is flooded in flood mode.
    if (this.settings.dissemination === 'flood' || item.ttl !== 0) return this.links.broadcast(frame, except);
    this.pruning.arrived(item.id); // a local item is in flight too (a peer's was counted on arrival)
    let count = 0;
    let isServable: boolean | undefined; // asked of the serving window at the first lazy link
    for (const link of this.links.all()) {
      const connection = link.connection;
      if (!link.isActive || except.includes(connection)) continue;
      const isLazy = this.modes.isLazy(connection);
      // A peer that announced the item holds it: no need to announce it back (§4.8 item 3).
      if (isLazy && this.firstLinks.wasAnnouncedBy(item.id, connection)) {
        count++;
        continue;
      }
      // §4.8 item 3: a push its eager link has no room for is announced instead, and pulled
      // once the queue drains, rather than lost.
      const announces = isLazy || !connection.hasRoomFor(frame.length);
      // §4.8 item 6: an id is announced only if its frame can be served for the window.
      isServable ??= announces ? this.serving.keep(item.id, frame) : undefined;
      if (announces && isServable) {
        this.lazy.add(connection, item.id);
        if (!isLazy) this.observer.tree('eager-as-lazy');
        count++;
      } else if (connection.send(frame)) {
        if (isLazy) this.observer.tree('lazy-as-eager');
        count++;
      }
    }
    return count;
  }

  reportInvalidItem(peer: Connection): void {
    this.links.reportInvalidItem(peer);
  }

  /** §4.8 items 4, 5: any copy ends a pull; in tree mode a ttl-0 copy sets the link's mode. */
  arrived(peer: Connection, id: string, ttl: number, isNew: boolean): void {
    const announcers = this.missing.arrived(peer, id);
    if (this.settings.dissemination !== 'tree' || ttl !== 0 || !this.modes.has(peer)) return;
    if (isNew) {
      this.pruning.arrived(id);
      this.firstLinks.add(id, peer, announcers);
      this.modes.firstCopy(peer, this.pruning.isPruning(id));
      return;
    }
    // A duplicate: its link is not needed while the link of the first copy is still eager.
    const mayPrune = this.pruning.duplicate(id); // only a few items at a time may cut cycles
    const first = this.firstLinks.get(id);
    if (first === peer) return;
    if (first !== undefined && this.modes.modeOf(first) !== 'eager') {
      this.observer.tree('prune-withheld');
      return;
    }
    if (!mayPrune) return;
    if (this.modes.duplicate(peer) && peer.send(PRUNE_FRAME)) this.observer.tree('prune-sent');
  }

  // ---- TreeMessages: from the P2P consumer ----

  ihave(peer: Connection, ids: readonly { id: Uint8Array }[]): void {
    this.observer.tree('ihave-id-received', ids.length);
    let ignored = 0;
    for (const entry of ids) {
      const id = idFromBytes(entry.id);
      if (this.items.hasSeen(id)) {
        // The peer holds it: it need not hear of it from this node (§4.8 item 3).
        this.firstLinks.announced(id, peer);
        this.lazy.remove(peer, id);
        continue;
      }
      if (!this.missing.announced(peer, id)) ignored++;
    }
    if (ignored > 0) this.observer.tree('ihave-id-ignored', ignored);
  }

  /** §4.8 items 5, 6: the link becomes eager; every id still held is answered with its item. */
  graft(peer: Connection, ids: readonly { id: Uint8Array }[]): void {
    this.observer.tree('graft-id-received', ids.length);
    this.modes.set(peer, 'eager');
    // An id not held (any more) gets no answer: the puller asks the next announcer. One the
    // send queue has no room for waits until it has (item 5).
    this.answers.answer(
      peer,
      ids.map((entry) => idFromBytes(entry.id)),
    );
  }

  prune(peer: Connection): void {
    this.observer.tree('prune-received');
    if (this.settings.dissemination === 'tree') this.modes.set(peer, 'lazy');
  }

  /** The ANNOUNCE (ttl 0) of an item the knowledge base can still serve (§4.8 item 6). */
  private servableFrame(id: string): Uint8Array | undefined {
    const item = this.items.servable(id);
    return item && GossipAnnounce.encode({ ttl: 0, dataType: item.dataType, data: item.data });
  }

  private sendIhave(link: Connection, ids: readonly string[]): void {
    const frame = GossipIhave.encode({ ids: ids.map((id) => ({ id: idToBytes(id) })) });
    if (link.send(frame)) this.observer.tree('ihave-id-sent', ids.length);
  }

  private sendGraft(link: Connection, ids: readonly string[]): void {
    this.modes.set(link, 'eager');
    const frame = GossipGraft.encode({ ids: ids.map((id) => ({ id: idToBytes(id) })) });
    if (link.send(frame)) this.observer.tree('graft-id-sent', ids.length);
  }
}
