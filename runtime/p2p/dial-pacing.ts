/**
 * Pacing of every dial this node makes (docs/protocol.md §4.5 "Dial back-off"): a back-off per
 * address after dials that failed or links that closed young, and a global token bucket, so
 * that a bootstrapper that accepts and closes at once is not re-dialed in a tight loop.
 */
import type { Clock } from '../core/clock.js';

/** §4.5: 1 s base, x2 per failure, ±50 % jitter, at most 60 s. */
export const DIAL_BACKOFF_BASE_MS = 1_000;
export const DIAL_BACKOFF_CAP_MS = 60_000;
const JITTER = 0.5;
/** §4.5: a link active this long proves the address works: its back-off is reset. */
export const STABLE_LINK_MS = 10_000;
/** §4.5: dials per second in all, and the burst the bucket allows. */
export const DIALS_PER_SECOND = 4;

interface Failures {
  count: number;
  readyAt: number;
}

/** Exponential back-off with jitter, per address key. */
export class DialBackoff {
  private readonly failures = new Map<string, Failures>();

  constructor(
    private readonly clock: Clock,
    private readonly random: () => number = Math.random,
  ) {}

  isReady(key: string): boolean {
    const entry = this.failures.get(key);
    return !entry || this.clock.now() >= entry.readyAt;
  }

  /** The dial failed or its link closed before it was active for STABLE_LINK_MS. */
  failed(key: string): void {
    const entry = this.failures.get(key) ?? { count: 0, readyAt: 0 };
    const wait = Math.min(DIAL_BACKOFF_CAP_MS, DIAL_BACKOFF_BASE_MS * 2 ** entry.count);
    entry.count = Math.min(entry.count + 1, 16);
    entry.readyAt = this.clock.now() + wait * (1 - JITTER + 2 * JITTER * this.random());
    this.failures.set(key, entry);
    // Bounded: addresses nobody re-dials after the cap are forgotten first.
    if (this.failures.size > 4_096) this.failures.delete(this.failures.keys().next().value as string);
  }

  /** The link stayed active for STABLE_LINK_MS: dial it again without waiting next time. */
  succeeded(key: string): void {
    this.failures.delete(key);
  }
}

/** A token bucket: at most DIALS_PER_SECOND dials per second, whatever their targets. */
export class DialBudget {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly perSecond = DIALS_PER_SECOND,
  ) {
    this.tokens = perSecond;
    this.updatedAt = clock.now();
  }

  /** Takes one token; false when the budget for now is spent. */
  take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.updatedAt) / 1_000) * this.perSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
