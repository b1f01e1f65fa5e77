/**
 * The receive queue between a Server and the gossip handler (midterm-report.md,
 * "Architecture": r_q). A priority queue with two lanes: GOSSIP VALIDATION frames are
 * served before everything else, because notified items wait on them (the design's
 * reason). Within a lane, order of arrival is kept.
 *
 * Overflow policy is the caller's (written where each queue is made): `isFull` tells the
 * Server to stop reading a connection (API: backpressure) or to drop (P2P: best effort).
 */
import { Fifo } from './fifo.js';

export class ReceiveQueue<T> {
  private readonly priority = new Fifo<T>();
  private readonly normal = new Fifo<T>();
  /** Bytes held in both lanes (as `sizeOf` counts them): what `receive_queue_bytes` bounds. */
  bytes = 0;

  /**
   * @param capacity items held in both lanes together before `isFull` says so
   * @param maxBytes bytes held before `isFull` says so (docs/protocol.md §7.2)
   */
  constructor(
    readonly capacity: number,
    private readonly isPriority: (item: T) => boolean,
    readonly maxBytes = Infinity,
    private readonly sizeOf: (item: T) => number = () => 0,
  ) {}

  get length(): number {
    return this.priority.length + this.normal.length;
  }

  /** True when a priority item is waiting. */
  get hasPriority(): boolean {
    return this.priority.length > 0;
  }

  get isFull(): boolean {
    return this.length >= this.capacity || this.bytes >= this.maxBytes;
  }

  /** Adds an item. Never refuses: bounding is done by the producer checking `isFull`. */
  push(item: T): void {
    this.bytes += this.sizeOf(item);
    (this.isPriority(item) ? this.priority : this.normal).push(item);
  }

  /** The next item: the oldest priority item if any, else the oldest other item. */
  shift(): T | undefined {
    const item = this.priority.shift() ?? this.normal.shift();
    if (item !== undefined) this.bytes -= this.sizeOf(item);
    return item;
  }
}
