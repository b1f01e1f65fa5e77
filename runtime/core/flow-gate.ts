/**
 * End-to-end flow control (docs/protocol.md §7.3): while any P2P send queue is congested
 * (over its high watermark, socket buffer included), the gate is shut and the API Server
 * stops reading its clients, so that a flooding announcer is slowed by TCP instead of
 * having its items dropped on the way to peers. The gate opens again once every such
 * queue is back under its low watermark.
 *
 * A queue that is full (refusing frames), or that has completed no write for
 * STUCK_AFTER_MS, does not hold the gate shut: that peer is not reading, its losses are
 * counted as `peer-send-queue-full`, and it is disconnected after `send_stall_timeout`.
 * Without this, one peer that never reads would stop every local module for that long.
 */
import type { SendPressure, SendQueue } from './send-queue.js';

/** §7.3: shut above 256 KiB pending toward one peer, open again below 64 KiB. */
export const CONGESTED_ABOVE_BYTES = 256 * 1024;
export const CLEAR_BELOW_BYTES = 64 * 1024;
/**
 * ANNOUNCE bytes a client may still send after the gate shut, until it opens again: a module
 * that announces now and then is not held back by another client's flood (§7.3, fairness).
 */
export const ALLOWANCE_WHILE_SHUT_BYTES = 16 * 1024;
/** A congested queue without a completed write for this long is a stalled peer, not a slow one. */
export const STUCK_AFTER_MS = 500;
/** While shut, the gate re-checks its queues this often (a stall shows no event). */
const RECHECK_MS = 100;

export class FlowGate implements SendPressure {
  readonly highBytes: number;
  readonly lowBytes: number;
  private readonly congested = new Set<SendQueue>();
  private readonly listeners: Array<(isOpen: boolean) => void> = [];
  private open = true;
  private recheckTimer: NodeJS.Timeout | null = null;
  /** How many times the gate shut (a metric: how often announcers were slowed). */
  shutCount = 0;

  constructor(highBytes = CONGESTED_ABOVE_BYTES, lowBytes = CLEAR_BELOW_BYTES) {
    this.highBytes = highBytes;
    this.lowBytes = lowBytes;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Whether a client that announced `announcedSinceShut` bytes since the gate last shut may be read. */
  admits(announcedSinceShut: number): boolean {
    return this.open || announcedSinceShut < ALLOWANCE_WHILE_SHUT_BYTES;
  }

  /** `listener(isOpen)` runs each time the gate opens or shuts. */
  onChange(listener: (isOpen: boolean) => void): void {
    this.listeners.push(listener);
  }

  changed(queue: SendQueue): void {
    if (queue.isCongested) this.congested.add(queue);
    else this.congested.delete(queue);
    this.decide();
  }

  private decide(): void {
    const now = Date.now();
    let shouldBeOpen = true;
    for (const each of this.congested) {
      if (!each.isFull && each.stuckFor(now) < STUCK_AFTER_MS) {
        shouldBeOpen = false;
        break;
      }
    }
    if (shouldBeOpen === this.open) return;
    this.open = shouldBeOpen;
    if (shouldBeOpen) {
      if (this.recheckTimer) clearInterval(this.recheckTimer);
      this.recheckTimer = null;
    } else {
      this.shutCount++;
      this.recheckTimer = setInterval(() => this.recheck(), RECHECK_MS);
      this.recheckTimer.unref();
    }
    for (const listener of this.listeners) listener(shouldBeOpen);
  }

  /** Progress (or its absence) shows in no event: look at each congested queue again. */
  private recheck(): void {
    for (const queue of [...this.congested]) queue.checkPressure(); // may call `changed`
    this.decide();
  }
}
