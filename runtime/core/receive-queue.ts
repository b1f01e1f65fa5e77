/**
 * The receive queue between a Server and the gossip handler (midterm-report.md,
 * "Architecture": r_q). A priority queue: GOSSIP VALIDATION frames are served ahead of the
 * others, because notified items wait on them (the design's reason); the pump
 * (runtime/core/receive-pump.ts) alternates them with the others while both wait. The other
 * frames are served round-robin across their sources (connections), one frame each in
 * turn, so that a flooding sender's backlog does not delay other senders' items
 * (per-source fairness, docs/protocol.md §7.3). Within a source, order of arrival is kept.
 *
 * Overflow policy is the caller's (written where each queue is made): `isFull` tells the
 * Server to stop reading a connection (backpressure) or to drop (runtime/core/overflow-policy.ts).
 */
import { Fifo } from './fifo.js';

const ONE_SOURCE = Symbol('one source');

export class ReceiveQueue<T> {
  private readonly priority = new Fifo<T>();
  /** Per source, its waiting non-priority items. */
  private readonly lanes = new Map<unknown, Fifo<T>>();
  /** Sources with waiting items, in the order they are served. */
  private readonly turns = new Fifo<unknown>();
  private normalCount = 0;
  /** Bytes held in both lanes (as `sizeOf` counts them): what `receive_queue_bytes` bounds. */
  bytes = 0;

  /**
   * @param capacity items held in both lanes together before `isFull` says so
   * @param maxBytes bytes held before `isFull` says so (docs/protocol.md §7.2)
   * @param sourceOf whose turn an item waits for; by default all items share one turn (FIFO)
   */
  constructor(
    readonly capacity: number,
    private readonly isPriority: (item: T) => boolean,
    readonly maxBytes = Infinity,
    private readonly sizeOf: (item: T) => number = () => 0,
    private readonly sourceOf: (item: T) => unknown = () => ONE_SOURCE,
  ) {}

  get length(): number {
    return this.priority.length + this.normalCount;
  }

  /** True when a priority item is waiting. */
  get hasPriority(): boolean {
    return this.priority.length > 0;
  }

  /** True when a non-priority item is waiting. */
  get hasNormal(): boolean {
    return this.normalCount > 0;
  }

  get isFull(): boolean {
    return this.length >= this.capacity || this.bytes >= this.maxBytes;
  }

  /** Adds an item. Never refuses: bounding is done by the producer checking `isFull`. */
  push(item: T): void {
    this.bytes += this.sizeOf(item);
    if (this.isPriority(item)) {
      this.priority.push(item);
      return;
    }
    const source = this.sourceOf(item);
    let lane = this.lanes.get(source);
    if (!lane) {
      this.lanes.set(source, (lane = new Fifo<T>()));
      this.turns.push(source);
    }
    lane.push(item);
    this.normalCount++;
  }

  /**
   * The next item: the oldest priority item if any, else the next source's oldest item;
   * with `priorityFirst` false, the other way round.
   */
  shift(priorityFirst = true): T | undefined {
    const item = priorityFirst
      ? (this.priority.shift() ?? this.shiftNormal())
      : (this.shiftNormal() ?? this.priority.shift());
    if (item !== undefined) this.bytes -= this.sizeOf(item);
    return item;
  }

  private shiftNormal(): T | undefined {
    const source = this.turns.shift();
    if (source === undefined) return undefined;
    const lane = this.lanes.get(source)!;
    const item = lane.shift()!;
    this.normalCount--;
    if (lane.length > 0) this.turns.push(source);
    else this.lanes.delete(source);
    return item;
  }
}
