/**
 * The rate of peer exchange (docs/protocol.md §4.5 "Peer exchange rate"): how often a link may
 * send us a PEER REQUEST, how often we may send one on a link, and the back-off of a node
 * that asks because it is short of candidates.
 */
import type { Clock } from '../core/clock.js';

/** §4.5: 10 % slack for timer jitter on the asker's side. */
export const PEER_REQUEST_SLACK = 0.9;
/** §4.5: the back-off of a node short of candidates stops doubling here (× the interval). */
export const ASK_BACKOFF_CAP_FACTOR = 16;

/** Why a PEER REQUEST arriving now on a link must close it, or null (the first is always allowed). */
export function incomingRequestProblem(lastReceivedAt: number | null, now: number, intervalMs: number): string | null {
  if (lastReceivedAt === null) return null;
  return now - lastReceivedAt < PEER_REQUEST_SLACK * intervalMs
    ? 'PEER REQUEST sooner than peer_request_interval'
    : null;
}

/** May this node send a PEER REQUEST on a link it last asked at `lastSentAt`? */
export function maySendRequest(lastSentAt: number | null, now: number, intervalMs: number): boolean {
  return lastSentAt === null || now - lastSentAt >= intervalMs;
}

/**
 * When a node short of candidates asks next: one interval after its last ask, doubled after
 * each answer that brought no new candidate, up to ASK_BACKOFF_CAP_FACTOR intervals; back to
 * one interval when an answer brings new candidates or a link is lost. Every PEER REQUEST
 * this node sends counts, the first one on a new link included.
 */
export class AskBackoff {
  private waitMs: number;
  private lastAskAt: number | null = null;
  /** Asks whose answers have not been judged yet (each doubles the wait once at most). */
  private unjudged = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
  ) {
    this.waitMs = intervalMs;
  }

  get currentWaitMs(): number {
    return this.waitMs;
  }

  isDue(): boolean {
    return this.lastAskAt === null || this.clock.now() - this.lastAskAt >= this.waitMs;
  }

  asked(): void {
    this.lastAskAt = this.clock.now();
    this.unjudged++;
  }

  /** An answer came: it brought `fresh` new candidates. */
  answered(fresh: number): void {
    if (fresh > 0) return this.reset();
    if (this.unjudged === 0) return;
    this.unjudged--;
    this.waitMs = Math.min(this.waitMs * 2, ASK_BACKOFF_CAP_FACTOR * this.intervalMs);
  }

  /** New candidates or a lost link: the next ask one interval after the last. */
  reset(): void {
    this.waitMs = this.intervalMs;
    this.unjudged = 0;
  }
}
