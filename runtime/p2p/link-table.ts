/**
 * Every P2P link of this node, by connection: the one place that knows which links exist,
 * in which state, and who listens for links becoming active or closing. The gossip
 * handler pushes items through runtime/p2p/tree/dissemination.ts, which floods with
 * `broadcast` and counts a peer's offences here.
 */
import type { Logger } from 'pino';
import type { Connection } from '../core/connection.js';
import type { PeerLink } from './link.js';
import { addressKey, type Address } from './peer-address.js';

export interface LinkListener {
  activated?(link: PeerLink): void;
  closed?(link: PeerLink, reason: string, wasActive: boolean): void;
}

/** Items a local module called invalid before the peer that sent them is disconnected. */
const MAX_INVALID_ITEMS_PER_PEER = 10;

export class LinkTable {
  private readonly links = new Map<Connection, PeerLink>();
  private readonly listeners: LinkListener[] = [];

  constructor(private readonly logger: Logger) {}

  listen(listener: LinkListener): void {
    this.listeners.push(listener);
  }

  get(connection: Connection): PeerLink | undefined {
    return this.links.get(connection);
  }

  add(link: PeerLink): void {
    this.links.set(link.connection, link);
  }

  /** The connection closed: the link leaves the table and listeners hear why. */
  remove(connection: Connection, reason: string): void {
    const link = this.links.get(connection);
    if (!link) return;
    this.links.delete(connection);
    const wasActive = link.isActive;
    link.markClosed(reason);
    this.logger.debug({ connection: connection.label, reason, wasActive }, 'peer link closed');
    for (const listener of this.listeners) listener.closed?.(link, reason, wasActive);
  }

  /** The link just became active (handshake.ts): listeners may want to ask it for peers. */
  activated(link: PeerLink): void {
    for (const listener of this.listeners) listener.activated?.(link);
  }

  all(): IterableIterator<PeerLink> {
    return this.links.values();
  }

  get active(): PeerLink[] {
    return [...this.links.values()].filter((link) => link.isActive);
  }

  /** How many links satisfy `test` (counting without building arrays). */
  count(test: (link: PeerLink) => boolean): number {
    let count = 0;
    for (const link of this.links.values()) if (test(link)) count++;
    return count;
  }

  activeTo(address: Address): PeerLink | undefined {
    const key = addressKey(address);
    for (const link of this.links.values()) {
      if (link.isActive && link.listenAddress && addressKey(link.listenAddress) === key) return link;
    }
    return undefined;
  }

  /** Pushes one frame to every active link not in `except`; returns how many took it (§4.4). */
  broadcast(frame: Uint8Array, except: readonly Connection[]): number {
    let count = 0;
    for (const link of this.links.values()) {
      if (!link.isActive || except.includes(link.connection)) continue;
      if (link.connection.send(frame)) count++;
    }
    return count;
  }

  reportInvalidItem(peer: Connection): void {
    this.strike(peer, 'too many invalid items');
  }

  /** A PEER RESPONSE with candidates never to be dialed (§4.3): counted with invalid items (§4.4). */
  reportForbiddenCandidates(peer: Connection): void {
    this.strike(peer, 'too many invalid items or forbidden candidates');
  }

  /** A GRAFT the peer did not serve (§4.8 item 7): counted with invalid items, cleared by a served one. */
  reportUnservedGraft(peer: Connection): void {
    const link = this.links.get(peer);
    if (!link) return;
    link.unservedGrafts++;
    this.closeIfOverLimit(link, 'too many invalid items or unserved GRAFTs');
  }

  /** The peer served a GRAFT: its run of unserved ones ends (§4.8 item 7). */
  clearUnservedGrafts(peer: Connection): void {
    const link = this.links.get(peer);
    if (link) link.unservedGrafts = 0;
  }

  private strike(peer: Connection, reason: string): void {
    const link = this.links.get(peer);
    if (!link) return;
    link.invalidItems++;
    this.closeIfOverLimit(link, reason);
  }

  private closeIfOverLimit(link: PeerLink, reason: string): void {
    if (link.invalidItems + link.unservedGrafts >= MAX_INVALID_ITEMS_PER_PEER) link.connection.close(reason);
  }
}
