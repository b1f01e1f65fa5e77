/**
 * The link each recent ttl-0 item first came over (docs/protocol.md §4.8 item 5). A duplicate
 * prunes its link only while that first link is still eager: with items from many sources in
 * flight at once, another item may have cut the first link meanwhile, and pruning the second
 * too would cut this node off from where the item came from. Bounded: the oldest are forgotten.
 */
import type { Connection } from '../../core/connection.js';
import { Fifo } from '../../core/fifo.js';

/** Items remembered: far more than are in flight at once, a few hundred KB at most. */
export const FIRST_LINKS_KEPT = 4_096;

export class FirstLinks {
  private readonly links = new Map<string, Connection>();
  private readonly order = new Fifo<string>();

  constructor(private readonly capacity = FIRST_LINKS_KEPT) {}

  get size(): number {
    return this.links.size;
  }

  /** `id` arrived first over `link`. */
  add(id: string, link: Connection): void {
    if (this.links.has(id)) return;
    this.links.set(id, link);
    this.order.push(id);
    while (this.order.length > this.capacity) this.links.delete(this.order.shift()!);
  }

  /** The link `id` first came over, if still remembered. */
  get(id: string): Connection | undefined {
    return this.links.get(id);
  }

  /** A closed link is nobody's first link any more (its entries then count as forgotten). */
  forget(link: Connection): void {
    for (const [id, first] of this.links) if (first === link) this.links.delete(id);
  }
}
