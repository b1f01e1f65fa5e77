/**
 * The serving window (docs/protocol.md §4.8 item 6): the ANNOUNCE frame of every item this
 * node announced lazily, kept for as long as a peer may pull it, whatever `cache_size` says,
 * within a byte budget. A node announces an id only if the window took its frame, so every
 * announcement can be served; when the window is full the caller pushes the item instead.
 * Expired frames leave lazily, oldest first, when frames are kept or looked up (no timer).
 */
import type { Clock } from '../../core/clock.js';
import { Fifo } from '../../core/fifo.js';

/** Bookkeeping per kept frame (a Map entry, a FIFO slot, the record), counted in the budget. */
export const ENTRY_OVERHEAD_BYTES = 80;

interface Kept {
  readonly id: string;
  readonly frame: Uint8Array;
  readonly until: number;
}

export class ServingWindow {
  private readonly frames = new Map<string, Kept>();
  /** Kept frames in the order they expire (all live for the same time). */
  private readonly order = new Fifo<Kept>();
  /** Bytes counted against the budget: frames plus bookkeeping. */
  bytes = 0;

  constructor(
    private readonly clock: Clock,
    private readonly lifetimeMs: number,
    private readonly maxBytes: number,
  ) {}

  /** Frames still within their window. */
  get size(): number {
    this.expire();
    return this.frames.size;
  }

  /** Keeps `frame` for the window; false when the budget has no room for it (then do not announce `id`). */
  keep(id: string, frame: Uint8Array): boolean {
    this.expire();
    if (this.frames.has(id)) return true;
    const cost = frame.length + ENTRY_OVERHEAD_BYTES;
    if (this.bytes + cost > this.maxBytes) return false;
    const kept = { id, frame, until: this.clock.now() + this.lifetimeMs };
    this.frames.set(id, kept);
    this.order.push(kept);
    this.bytes += cost;
    return true;
  }

  /** The frame of `id` while its window lasts. */
  frameOf(id: string): Uint8Array | undefined {
    this.expire();
    return this.frames.get(id)?.frame;
  }

  private expire(): void {
    const now = this.clock.now();
    for (let oldest = this.order.peek(); oldest && oldest.until <= now; oldest = this.order.peek()) {
      this.order.shift();
      this.frames.delete(oldest.id);
      this.bytes -= oldest.frame.length + ENTRY_OVERHEAD_BYTES;
    }
  }
}
