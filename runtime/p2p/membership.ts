/**
 * Keeping this node in the overlay (docs/protocol.md §4.2 items 5 and 9, §4.3): dialing the
 * bootstrapper and candidates until `degree` links are active, replacing links that close,
 * and the eclipse defence's periodic re-join and rotation.
 */
import type { Logger } from 'pino';
import type { Connection } from '../core/connection.js';
import type { Handshake, SelfAddress } from './handshake.js';
import type { KnownPeers } from './known-peers.js';
import type { LinkTable } from './link-table.js';
import type { PeerExchange } from './peer-exchange.js';
import { addressKey, type ListenAddress } from './peer-address.js';

/** Opens connections (runtime/core/server.ts). */
export interface Dialer {
  dial(host: string, port: number, localHost?: string): Promise<Connection>;
}

export interface MembershipSettings {
  /** Host to bind before dialing (§4.2 item 4); null when listening on a wildcard. */
  readonly dialFromHost: string | null;
  readonly bootstrapper: { host: string; port: number } | null;
  readonly degree: number;
  readonly verificationTimeoutMs: number;
  readonly rejoinIntervalMs: number;
}

export interface MembershipObserver {
  linkClosed(reason: string): void;
}

/** How often the node checks it holds `degree` links (and expires stale requests). */
const MAINTAIN_INTERVAL_MS = 1_000;

export class Membership {
  /** Addresses being dialed right now, so that none is dialed twice. */
  private readonly dialing = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private isClosed = false;

  constructor(
    private readonly dialer: Dialer,
    private readonly links: LinkTable,
    private readonly known: KnownPeers,
    private readonly handshake: Handshake,
    private readonly exchange: PeerExchange,
    private readonly self: SelfAddress,
    private readonly settings: MembershipSettings,
    private readonly logger: Logger,
    private readonly observer: MembershipObserver,
  ) {
    links.listen({
      activated: (link) => {
        // Every link we dial is asked for peers once: it is how a newcomer finds room when
        // the nodes it knows are full (they refer it elsewhere), and it keeps candidates fresh.
        if (!link.isInbound) this.exchange.request(link);
        this.maintain();
      },
      closed: (link, reason, wasActive) => {
        // §4.3: a peer whose connection closes leaves the known-peers list and is replaced.
        if (wasActive && link.listenAddress) this.known.remove(link.listenAddress);
        this.observer.linkClosed(reason);
        this.handshake.reportCounts();
        if (!this.isClosed) setImmediate(() => this.maintain());
      },
    });
    exchange.onCandidates(() => this.maintain());
  }

  start(): void {
    this.maintain();
    this.every(MAINTAIN_INTERVAL_MS, () => this.maintain());
    if (this.settings.rejoinIntervalMs > 0) this.every(this.settings.rejoinIntervalMs, () => this.rejoin());
  }

  close(): void {
    this.isClosed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const link of this.links.all()) link.abort.abort();
  }

  /** Dials a peer from our own host; the handshake takes over once connected. */
  async dial(address: ListenAddress | { host: string; port: number }, isBootstrapper = false): Promise<void> {
    const key = addressKey(address);
    if (this.isClosed || this.dialing.has(key)) return;
    this.dialing.add(key);
    try {
      const connection = await this.dialer.dial(address.host, address.port, this.settings.dialFromHost ?? undefined);
      this.handshake.dialed(connection, address, isBootstrapper);
    } catch (error) {
      this.known.removeCandidate(address as ListenAddress);
      this.logger.debug({ peer: key, err: (error as Error).message }, 'dial failed');
    } finally {
      this.dialing.delete(key);
    }
  }

  private every(ms: number, task: () => void): void {
    const timer = setInterval(task, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private maintain(): void {
    if (this.isClosed) return;
    for (const link of this.links.all()) link.expirePeerRequests(this.settings.verificationTimeoutMs);
    const pending = this.links.count((link) => !link.isActive && !link.isInbound);
    const active = this.links.active;
    const missing = this.settings.degree - active.length - pending - this.dialing.size;
    if (missing <= 0) return;
    const busy = new Set<string>([addressKey(this.self.listen), ...this.dialing]);
    for (const link of this.links.all()) if (link.listenAddress) busy.add(addressKey(link.listenAddress));
    const picks = this.known.pickCandidates(missing, (address) => busy.has(addressKey(address)));
    for (const address of picks) {
      this.known.removeCandidate(address);
      void this.dial(address);
    }
    if (picks.length === missing) return;
    if (active.length > 0) {
      this.exchange.request(active[Math.floor(Math.random() * active.length)]!);
    } else if (pending === 0 && this.dialing.size === 0 && this.settings.bootstrapper) {
      void this.dial(this.settings.bootstrapper, true);
    }
  }

  /** Eclipse defence (§4.3): ask the bootstrapper again and swap a random neighbour. */
  private rejoin(): void {
    const bootstrapper = this.settings.bootstrapper;
    if (!bootstrapper) return;
    const bootstrapLink = this.links.active.find((link) => link.isBootstrapLink);
    if (bootstrapLink) this.exchange.request(bootstrapLink);
    else void this.dial(bootstrapper, true);
    const others = this.links.active.filter((link) => link !== bootstrapLink);
    if (others.length >= this.settings.degree && this.known.candidateCount > 0) {
      const victim = others[Math.floor(Math.random() * others.length)]!;
      victim.connection.close('rotation: replaced by a fresh candidate');
    }
  }
}
