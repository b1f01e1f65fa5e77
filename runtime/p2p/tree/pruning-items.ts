/**
 * Which duplicates may prune (docs/protocol.md §4.8 item 5). The first-copy links of ONE item
 * form a spanning tree of the overlay, so pruning every link that brought a duplicate of one
 * item never disconnects; the eager links fall apart only when the duplicates of several items
 * in flight at once cut one cycle at several places. So only *pruning items* prune: those whose
 * id, read as a number in [0, 1), is below 1 / (1 + 4c), where c is how many other items reach
 * this node, on average, between an item's first copy and a duplicate of it (a moving
 * average). Every node sees about the same c and judges an id alike, so the pruning items are
 * the same everywhere: one at a time in flight, whatever the rate and the load; at low
 * concurrency every item prunes.
 */
import { Fifo } from '../../core/fifo.js';

/** Items whose arrival order is remembered (far more than are in flight at once). */
const REMEMBERED = 4_096;
/**
 * Largest sample of c: a copy answering a GRAFT comes a graft_timeout late, after dozens of
 * items, and would make c say more about pulls than about items in flight.
 */
const MAX_SAMPLE = 10;
/** Weight of the newest sample in the moving average of c. */
const SMOOTHING = 0.05;
/**
 * How much c counts: an item's duplicates come soon after its first copy, while another item
 * stays in flight for the whole spread of the overlay, so c underestimates the items in flight
 * (measured: with 1, 1 of 3 loaded runs stayed in pieces; with 4, 0 of 6).
 */
export const CONCURRENCY_WEIGHT = 4;

export class PruningItems {
  private readonly sequenceOf = new Map<string, number>();
  private readonly order = new Fifo<string>();
  private arrivals = 0;
  /** Other items arriving between an item's first copy and a duplicate of it (moving average). */
  private concurrency = 0;

  get share(): number {
    return 1 / (1 + CONCURRENCY_WEIGHT * this.concurrency);
  }

  /** A new item arrived (first copy, or announced here). */
  arrived(id: string): void {
    if (this.sequenceOf.has(id)) return;
    this.sequenceOf.set(id, ++this.arrivals);
    this.order.push(id);
    while (this.order.length > REMEMBERED) this.sequenceOf.delete(this.order.shift()!);
  }

  /** A duplicate of `id` arrived; true when it may prune its link. */
  duplicate(id: string): boolean {
    const first = this.sequenceOf.get(id);
    if (first !== undefined) {
      const between = Math.min(this.arrivals - first, MAX_SAMPLE);
      this.concurrency += SMOOTHING * (between - this.concurrency);
    }
    return this.isPruning(id);
  }

  /** Is `id` a pruning item now? Only their copies count in a link's run of duplicates. */
  isPruning(id: string): boolean {
    return position(id) < this.share;
  }
}

/** The id's first two bytes as a number in [0, 1): ids are hashes, so evenly spread. */
const position = (id: string): number => (id.charCodeAt(0) * 256 + id.charCodeAt(1)) / 65_536;
