/**
 * Who keeps knocking at this node's door (docs/protocol.md §4.6 item 5). Every connection
 * turned away for want of room, and every one that arrives while another of its origin is
 * still handshaking, counts against its origin: the /24 or /48. Loopback is exempt while it
 * is exempt from subnet rules: a local network's nodes share one address (127.0.0.1 or ::1)
 * and would knock as one. An origin with `KNOCKER_TURN_AWAYS` knocks within
 * `KNOCK_WINDOW_MS` is knocking: an attacker that keeps its addresses at the door is so at
 * once, an honest node hardly ever, because its dials of one address back off (§4.5).
 * Bounded in memory.
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

interface OriginCount {
  count: number;
  since: number;
}

export class InboundPressure {
  private readonly origins = new Map<string, OriginCount>();
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
    this.origins.delete(key);
    const count = (origin?.count ?? 0) + 1;
    this.origins.set(key, { count, since: origin?.since ?? now });
    if (this.origins.size > MAX_ORIGINS) this.origins.delete(this.origins.keys().next().value as string);
    if (count === KNOCKER_TURN_AWAYS) this.onKnocking();
  }

  /** How often `host`'s origin was turned away within the window. */
  knocksFrom(host: string): number {
    const key = this.originOf(host);
    return key === null ? 0 : (this.current(key, this.clock.now())?.count ?? 0);
  }

  isKnocker(host: string): boolean {
    return this.knocksFrom(host) >= KNOCKER_TURN_AWAYS;
  }

  /** An inbound link whose origin is knocking (links we dialed never are). */
  isKnockingLink(link: PeerLink): boolean {
    return link.isInbound && this.isKnocker(link.connection.remoteHost);
  }

  private current(key: string, now: number): OriginCount | undefined {
    const origin = this.origins.get(key);
    return origin && now - origin.since < KNOCK_WINDOW_MS ? origin : undefined;
  }

  /** The origin a host counts against (its /24 or /48); null for exempt loopback. */
  originOf(host: string): string | null {
    return this.isLoopbackExempt && isLoopback(host) ? null : subnetKey(host);
  }
}
