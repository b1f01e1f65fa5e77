/**
 * Keeping this node in the overlay (docs/protocol.md §4.2 items 5 and 9, §4.3, §4.5, §4.6):
 * filling the outbound slots from checked candidates, replacing links that close, asking for
 * peers when short of candidates (with back-off), pacing every dial, and the rotation timer.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import type { CandidateCheck } from './candidate-check.js';
import { DialBackoff, DialBudget, STABLE_LINK_MS } from './dial-pacing.js';
import type { Handshake } from './handshake.js';
import type { KnownPeers } from './known-peers.js';
import type { PeerLink } from './link.js';
import type { LinkTable } from './link-table.js';
import { addressKey, subnetKey, type Address } from './peer-address.js';
import type { PeerExchange } from './peer-exchange.js';
import { ASK_BACKOFF_CAP_FACTOR, AskBackoff } from './request-pacing.js';
import { Rotation } from './rotation.js';
import { countSlots, freeOutboundSlots, knockerCap, type SlotCounts } from './slots.js';

/** Opens connections (runtime/core/server.ts). */
export interface Dialer {
  dial(host: string, port: number, localHost?: string): Promise<Connection>;
}

export interface MembershipSettings {
  /** Host to bind before dialing (§4.2 item 4); null when listening on a wildcard. */
  readonly dialFromHost: string | null;
  readonly bootstrapper: { host: string; port: number } | null;
  readonly degree: number;
  readonly maxPeers: number;
  readonly verificationTimeoutMs: number;
  readonly rejoinIntervalMs: number;
  readonly peerRequestIntervalMs: number;
}

export interface MembershipObserver {
  linkClosed(reason: string): void;
}

/** How often the node checks its outbound slots (and expires stale requests). */
const MAINTAIN_INTERVAL_MS = 1_000;

interface DialHow {
  readonly isBootstrapper: boolean;
  readonly isRotation: boolean;
}

export class Membership {
  /** Addresses being dialed right now, so that none is dialed twice. */
  private readonly dialing = new Set<string>();
  private readonly backoff: DialBackoff;
  private readonly budget: DialBudget;
  private readonly asking: AskBackoff;
  /**
   * Peers whose last answer brought nothing new, and when: not asked again until our links
   * change or the back-off cap passed (§4.5), so an idle network that knows itself whole
   * stops asking.
   */
  private readonly barren = new Map<string, number>();
  private readonly rotation: Rotation;
  private readonly timers: Timer[] = [];
  private isClosed = false;

  constructor(
    private readonly dialer: Dialer,
    private readonly links: LinkTable,
    private readonly known: KnownPeers,
    private readonly handshake: Handshake,
    private readonly exchange: PeerExchange,
    private readonly check: CandidateCheck,
    /** Peers kept from the last run (§4.7): dialed alongside the bootstrapper. */
    private readonly keptPeers: readonly Address[],
    private readonly settings: MembershipSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly observer: MembershipObserver,
  ) {
    this.backoff = new DialBackoff(clock);
    this.budget = new DialBudget(clock);
    this.asking = new AskBackoff(clock, settings.peerRequestIntervalMs);
    this.rotation = new Rotation(
      links,
      settings,
      {
        pickFresh: () => this.pickDialable(1)[0] ?? null,
        dial: (address, how) => void this.dial(address, how),
        askForPeers: (preferBootstrapper) => this.askForPeers(preferBootstrapper),
      },
      logger,
    );
    handshake.pressure.onKnocking = () => this.maintain();
    links.listen({
      activated: (link) => this.activated(link),
      closed: (link, reason, wasActive) => this.closed(link, reason, wasActive),
    });
    exchange.onCandidates((link, fresh) => {
      this.asking.answered(fresh);
      if (link.listenAddress) {
        if (fresh === 0) this.barren.set(addressKey(link.listenAddress), this.clock.now());
        else this.barren.delete(addressKey(link.listenAddress));
      }
      if (fresh > 0) this.maintain();
    });
  }

  start(): void {
    // §4.7: the kept peers are candidates from the start, dialed with the bootstrapper.
    for (const peer of this.keptPeers) if (!this.check.problemOf(peer)) this.known.addCandidate(peer);
    if (this.settings.bootstrapper)
      void this.dial(this.settings.bootstrapper, { isBootstrapper: true, isRotation: false });
    this.maintain();
    this.every(MAINTAIN_INTERVAL_MS, () => this.maintain());
    if (this.settings.rejoinIntervalMs > 0) this.every(this.settings.rejoinIntervalMs, () => this.rotation.rotate());
  }

  close(): void {
    this.isClosed = true;
    for (const timer of this.timers) timer.cancel();
  }

  /** Dials a peer from our own host, if its back-off and the global budget allow (§4.5). */
  async dial(address: Address, how: DialHow = { isBootstrapper: false, isRotation: false }): Promise<void> {
    const key = addressKey(address);
    if (this.isClosed || this.dialing.has(key) || !this.backoff.isReady(key) || !this.budget.take()) return;
    this.known.removeCandidate(address);
    this.dialing.add(key);
    try {
      const connection = await this.dialer.dial(address.host, address.port, this.settings.dialFromHost ?? undefined);
      const link = this.handshake.dialed(connection, address, how.isBootstrapper);
      link.dialedKey = key;
      link.isRotation = how.isRotation;
    } catch (error) {
      this.backoff.failed(key);
      this.logger.debug({ peer: key, err: (error as Error).message }, 'dial failed');
    } finally {
      this.dialing.delete(key);
    }
  }

  private activated(link: PeerLink): void {
    link.activatedAt = this.clock.now();
    this.barren.clear();
    // The first PEER REQUEST on a link we dialed (always allowed, §4.5): how a newcomer finds
    // room when the nodes it knows are full, and how candidates come from several peers (§4.6).
    if (!link.isInbound && this.exchange.request(link)) this.asking.asked();
    if (link.isRotation) this.rotation.replaceFor(link);
    this.maintain();
  }

  private closed(link: PeerLink, reason: string, wasActive: boolean): void {
    // §4.3: a peer whose connection closes leaves the known-peers list and is replaced.
    if (wasActive && link.listenAddress) this.known.remove(link.listenAddress);
    if (link.dialedKey && !this.isClosed) {
      const stayed = link.activatedAt !== null && this.clock.now() - link.activatedAt >= STABLE_LINK_MS;
      if (stayed) this.backoff.succeeded(link.dialedKey);
      else this.backoff.failed(link.dialedKey);
    }
    if (wasActive) {
      this.asking.reset();
      this.barren.clear();
    }
    this.observer.linkClosed(reason);
    this.handshake.reportCounts();
    if (!this.isClosed) setImmediate(() => this.maintain());
  }

  private every(ms: number, task: () => void): void {
    const tick = (): void => {
      if (this.isClosed) return;
      task();
      this.timers[index] = this.clock.setTimeout(tick, ms);
    };
    const index = this.timers.length;
    this.timers.push(this.clock.setTimeout(tick, ms));
  }

  /** Candidates that may be dialed now: checked (§4.3), not linked or being dialed, back-off over. */
  private pickDialable(count: number): Address[] {
    const busy = new Set<string>(this.dialing);
    const linkedSubnets = new Set<string>();
    for (const link of this.links.all()) {
      if (!link.listenAddress) continue;
      busy.add(addressKey(link.listenAddress));
      linkedSubnets.add(subnetKey(link.listenAddress.host));
    }
    // §4.6 item 5: never an address whose origin keeps knocking at our door.
    const pressure = this.handshake.pressure;
    const isExcluded = (address: Address): boolean => {
      const key = addressKey(address);
      return (
        busy.has(key) ||
        !this.backoff.isReady(key) ||
        this.check.problemOf(address) !== null ||
        pressure.isKnocker(address.host)
      );
    };
    return this.known.pickCandidates(count, isExcluded, linkedSubnets);
  }

  private maintain(): void {
    if (this.isClosed) return;
    for (const link of this.links.all()) link.expirePeerRequests(this.settings.verificationTimeoutMs);
    const counts = countSlots(this.links.all());
    const free = freeOutboundSlots(counts, this.settings, this.dialing.size);
    this.shedKnockersOverCap(counts);
    if (free === 0) return;
    const picks = this.pickDialable(free);
    for (const address of picks) void this.dial(address);
    if (picks.length === free) return;
    const hasLinks = counts.outboundActive + counts.outboundPending + counts.inboundActive + this.dialing.size > 0;
    if (!hasLinks && this.settings.bootstrapper) {
      void this.dial(this.settings.bootstrapper, { isBootstrapper: true, isRotation: false });
    } else {
      this.askForPeers(false);
    }
  }

  /**
   * §4.6 item 5: inbound links from knocking origins never outnumber our own choices; when one
   * of ours closes, or an origin starts knocking, the youngest of them go down to the cap.
   */
  private shedKnockersOverCap(counts: SlotCounts): void {
    const knockers = this.links.active.filter((link) => this.handshake.pressure.isKnockingLink(link));
    const excess = knockers.length - knockerCap(counts);
    if (excess <= 0) return;
    const youngestFirst = knockers.sort((a, b) => (b.activatedAt ?? 0) - (a.activatedAt ?? 0));
    for (const link of youngestFirst.slice(0, excess)) link.connection.close("knocking: over the knockers' cap");
  }

  private isBarren(link: PeerLink): boolean {
    const since = link.listenAddress ? this.barren.get(addressKey(link.listenAddress)) : undefined;
    return (
      since !== undefined && this.clock.now() - since < ASK_BACKOFF_CAP_FACTOR * this.settings.peerRequestIntervalMs
    );
  }

  /** §4.3, §4.5: short of candidates, ask one outbound peer (or the bootstrapper), with back-off. */
  private askForPeers(preferBootstrapper: boolean): void {
    if (!this.asking.isDue()) return;
    const askable = this.links.active.filter(
      (link) => !link.isInbound && !this.isBarren(link) && this.exchange.mayRequest(link),
    );
    const bootstrapLink = askable.find((link) => link.isBootstrapLink);
    // The rotation asks the bootstrapper; the maintenance timer spreads asks over the others,
    // so that the bootstrapper of a small network is not the one that answers everybody.
    const others = askable.filter((link) => link !== bootstrapLink);
    const target = preferBootstrapper && bootstrapLink ? bootstrapLink : (randomOf(others) ?? bootstrapLink);
    if (target && this.exchange.request(target)) this.asking.asked();
  }
}

function randomOf<T>(items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(Math.random() * items.length)];
}
