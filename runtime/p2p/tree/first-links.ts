/**
 * How each recent ttl-0 item reached this node (docs/protocol.md §4.8 items 3 and 5): the link
 * its first copy came over, and the peers that announced it by IHAVE.
 * - A duplicate prunes its link only while that first link is still eager: with items from
 *   many sources in flight at once, another item may have cut the first link meanwhile, and
 *   pruning the second too would cut this node off from where the item came from.
 * - A peer that announced an item holds it: its id is not announced back to it.
 * Bounded: the oldest items are forgotten.
 */
import type { Connection } from '../../core/connection.js';
import { Fifo } from '../../core/fifo.js';

/** Items remembered: far more than are in flight at once, a few hundred KB at most. */
export const FIRST_LINKS_KEPT = 4_096;

interface Arrival {
  readonly link: Connection;
  /** An array, not a Set: it holds a link per lazy neighbour at most, and one record per item. */
  readonly announcers: Connection[];
}

export class FirstLinks {
  private readonly arrivals = new Map<string, Arrival>();
  private readonly order = new Fifo<string>();

  constructor(private readonly capacity = FIRST_LINKS_KEPT) {}

  get size(): number {
    return this.arrivals.size;
  }

  /** `id` arrived first over `link`, after IHAVEs from `announcers`. */
  add(id: string, link: Connection, announcers: Iterable<Connection> = []): void {
    if (this.arrivals.has(id)) return;
    this.arrivals.set(id, { link, announcers: [...announcers] });
    this.order.push(id);
    while (this.order.length > this.capacity) this.arrivals.delete(this.order.shift()!);
  }

  /** The link `id` first came over, if still remembered. */
  get(id: string): Connection | undefined {
    return this.arrivals.get(id)?.link;
  }

  /** `link` announced `id`, which this node already has. */
  announced(id: string, link: Connection): void {
    const announcers = this.arrivals.get(id)?.announcers;
    if (announcers && !announcers.includes(link)) announcers.push(link);
  }

  /** Did `link` announce `id` to this node? */
  wasAnnouncedBy(id: string, link: Connection): boolean {
    return this.arrivals.get(id)?.announcers.includes(link) ?? false;
  }

  /** A closed link is nobody's first link or announcer any more. */
  forget(link: Connection): void {
    for (const [id, arrival] of this.arrivals) {
      if (arrival.link === link) this.arrivals.delete(id);
      else {
        const at = arrival.announcers.indexOf(link);
        if (at >= 0) arrival.announcers.splice(at, 1);
      }
    }
  }
}
