/**
 * A Clock (runtime/core/clock.ts) that moves only when the test says so: deadlines are
 * driven by `advance`, never waited for.
 */
import type { Clock, Timer } from '../../runtime/core/clock.js';

interface Pending {
  readonly at: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private time = 1_000_000;
  private readonly pending: Pending[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const entry: Pending = { at: this.time + ms, callback, cancelled: false };
    this.pending.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.pending.filter((entry) => !entry.cancelled && entry.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cancelled = true;
      this.time = due.at;
      due.callback();
    }
    this.time = end;
  }

  /** Timers still waiting to fire. */
  get armed(): number {
    return this.pending.filter((entry) => !entry.cancelled).length;
  }
}
