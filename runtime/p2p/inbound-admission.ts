/**
 * Paced admission of inbound newcomers (docs/protocol.md §4.6 item 6). A node that holds all
 * of its outbound links admits verified inbound newcomers from quiet origins at most
 * ⌈degree / 2⌉ at once, then one per ADMISSION_INTERVAL_MS: an attacker arriving from many
 * subnets at once then gets only that many links before its origins knock (item 5), instead
 * of every free inbound slot. A token bucket, refilled lazily from the clock (no timer).
 */
import type { Clock } from '../core/clock.js';

/** One admission comes back this often. */
export const ADMISSION_INTERVAL_MS = 500;

/**
 * Newcomers admitted at once: ⌈degree / 2⌉, at least 2, so that a node of a small degree
 * still lets two peers in together (the conformance suite's two scripted peers, a node and
 * its replacement).
 */
export function admissionBurst(degree: number): number {
  return Math.max(2, Math.ceil(degree / 2));
}

export class InboundAdmission {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.refilledAt = clock.now();
  }

  /** Takes one admission if one is left; false means the newcomer is referred. */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  private refill(): void {
    const now = this.clock.now();
    const earned = Math.floor((now - this.refilledAt) / ADMISSION_INTERVAL_MS);
    if (earned === 0) return;
    this.tokens = Math.min(this.burst, this.tokens + earned);
    this.refilledAt = this.tokens === this.burst ? now : this.refilledAt + earned * ADMISSION_INTERVAL_MS;
  }
}
