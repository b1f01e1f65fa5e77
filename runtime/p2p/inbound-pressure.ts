/**
 * Who keeps knocking at this node's door (docs/protocol.md §4.6 item 5). Every connection
 * turned away for want of room, and every one that arrives while another of its origin is
 * still handshaking, counts against its origin: the /24 or /48. Loopback is exempt while it
 * is exempt from subnet rules: a local network's nodes share one address (127.0.0.1 or ::1)
 * and would knock as one. An origin with `KNOCKER_TURN_AWAYS` knocks within
 * `KNOCK_WINDOW_MS` is knocking: an attacker that keeps its addresses at the door is so at
 * once, an honest node hardly ever, because its dials of one address back off (§4.5).
 * The window slides: an origin that keeps knocking stays knocking. Bounded in memory.
 */
import type { Clock } from '../core/clock.js';
import type { PeerLink } from './link.js';
import { isLoopback, subnetKey } from './peer-address.js';

/** How long a turn-away counts. */
export const KNOCK_WINDOW_MS = 60_000;
/** Turn-aways of one origin within the window that make it knocking. */
export const KNOCKER_TURN_AWAYS = 3;
/** Origins remembered at most (the least recently turned away go first). */
const MAX_ORIGINS = 1_024;

interface OriginKnocks {
  /** Knocks since the origin last went a whole window without one. */
  count: number;
  /** When its last KNOCKER_TURN_AWAYS knocks came, oldest first. */
  recent: number[];
}

export class InboundPressure {
  private readonly origins = new Map<string, OriginKnocks>();
  /** Runs when an origin starts knocking (membership then applies the knockers' cap). */
  onKnocking: () => void = () => {};

  constructor(
    private readonly clock: Clock,
    private readonly isLoopbackExempt: boolean,
  ) {}

  /** A connection from `host` was turned away, or came while another of its origin was handshaking. */
  knocked(host: string): void {
    const now = this.clock.now();
    const key = this.originOf(host);
    if (key === null) return;
    const origin = this.current(key, now);
    const wasKnocking = origin !== undefined && this.isKnocking(origin, now);
    this.origins.delete(key);
    const recent = [...(origin?.recent ?? []), now].slice(-KNOCKER_TURN_AWAYS);
    const updated = { count: (origin?.count ?? 0) + 1, recent };
    this.origins.set(key, updated);
    if (this.origins.size > MAX_ORIGINS) this.origins.delete(this.origins.keys().next().value as string);
    if (!wasKnocking && this.isKnocking(updated, now)) this.onKnocking();
  }

  /** How often `host`'s origin knocked since it last went a window without a knock. */
  knocksFrom(host: string): number {
    const key = this.originOf(host);
    return key === null ? 0 : (this.current(key, this.clock.now())?.count ?? 0);
  }

  isKnocker(host: string): boolean {
    const key = this.originOf(host);
    const now = this.clock.now();
    const origin = key === null ? undefined : this.current(key, now);
    return origin !== undefined && this.isKnocking(origin, now);
  }

  /** An inbound link whose origin is knocking (links we dialed never are). */
  isKnockingLink(link: PeerLink): boolean {
    return link.isInbound && this.isKnocker(link.connection.remoteHost);
  }

  /**
   * KNOCKER_TURN_AWAYS knocks within the last window: a sliding window, so that an origin
   * that keeps knocking stays knocking instead of starting over every window.
   */
  private isKnocking(origin: OriginKnocks, now: number): boolean {
    return origin.recent.length === KNOCKER_TURN_AWAYS && now - origin.recent[0]! < KNOCK_WINDOW_MS;
  }

  /** The origin's knocks, unless its last one is a whole window old. */
  private current(key: string, now: number): OriginKnocks | undefined {
    const origin = this.origins.get(key);
    return origin && now - origin.recent.at(-1)! < KNOCK_WINDOW_MS ? origin : undefined;
  }

  /** The origin a host counts against (its /24 or /48); null for exempt loopback. */
  originOf(host: string): string | null {
    return this.isLoopbackExempt && isLoopback(host) ? null : subnetKey(host);
  }
}
