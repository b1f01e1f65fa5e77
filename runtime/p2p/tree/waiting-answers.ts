/**
 * GRAFT answers that found no room in their link's send queue, sent as it drains
 * (docs/protocol.md §4.8 item 5). A node pulling a whole burst asks for tens of thousands
 * of ids at once; answered at once, they overflow the send queue and are lost to a puller
 * that may have no other announcer. Instead they wait in order, at most
 * MAX_WAITING_ANSWERS per link, and are retried every RETRY_MS while any wait: a timer runs
 * only then (an idle node keeps none).
 *
 * Pure: time is the Clock, and frames come from `frameOf` (null once the id is no longer
 * servable: it is then skipped, and the puller asks its next announcer).
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { Connection } from '../../core/connection.js';
import { Fifo } from '../../core/fifo.js';

/** Answers waiting per link at most; one beyond is dropped (§4.8 item 5). */
export const MAX_WAITING_ANSWERS = 65_536;
/** How often waiting answers are offered to their send queues again. */
export const RETRY_MS = 50;

export interface AnswerSink {
  /** The ANNOUNCE frame that answers `id`, or undefined when it is no longer servable. */
  frameOf(id: string): Uint8Array | undefined;
  /** `count` answers went into `link`'s send queue. */
  sent(link: Connection, count: number): void;
  /** `count` answers found no room at once and wait. */
  waited(link: Connection, count: number): void;
  /** `count` answers were dropped: more than MAX_WAITING_ANSWERS waited. */
  dropped(link: Connection, count: number): void;
}

export class WaitingAnswers {
  private readonly waiting = new Map<Connection, Fifo<string>>();
  private timer: Timer | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly sink: AnswerSink,
  ) {}

  /** Answers `ids` on `link`, in order, after any answers already waiting there. */
  answer(link: Connection, ids: Iterable<string>): void {
    let queue = this.waiting.get(link);
    if (!queue) this.waiting.set(link, (queue = new Fifo<string>()));
    let added = 0;
    let dropped = 0;
    for (const id of ids) {
      if (queue.length < MAX_WAITING_ANSWERS) {
        queue.push(id);
        added++;
      } else dropped++;
    }
    if (dropped > 0) this.sink.dropped(link, dropped);
    this.drain(link, queue);
    const waited = Math.min(added, queue.length); // the newest wait longest
    if (waited > 0) this.sink.waited(link, waited);
    this.arm();
  }

  /** Answers waiting, over all links. */
  get size(): number {
    let total = 0;
    for (const queue of this.waiting.values()) total += queue.length;
    return total;
  }

  linkClosed(link: Connection): void {
    this.waiting.delete(link);
  }

  close(): void {
    this.timer?.cancel();
    this.timer = null;
    this.waiting.clear();
  }

  /** Sends the answers at the head of `queue` while its link's send queue has room. */
  private drain(link: Connection, queue: Fifo<string>): void {
    let sent = 0;
    for (let id = queue.peek(); id !== undefined; id = queue.peek()) {
      const frame = this.sink.frameOf(id);
      if (frame) {
        if (!link.hasRoomFor(frame.length)) break; // asked first: a refused send counts as a drop
        if (link.send(frame)) sent++;
      }
      queue.shift();
    }
    if (sent > 0) this.sink.sent(link, sent);
    if (queue.length === 0) this.waiting.delete(link);
  }

  private arm(): void {
    if (this.timer || this.waiting.size === 0) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      for (const [link, queue] of this.waiting) this.drain(link, queue);
      this.arm();
    }, RETRY_MS);
  }
}
