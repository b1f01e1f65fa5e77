/**
 * The knowledge base: the items this node holds (docs/protocol.md §5 `cache_size`), at most
 * `capacity` items and `maxBytes` bytes of data (`knowledge_base_bytes`, docs/protocol.md §7.2),
 * oldest evicted first. It holds peer items while they wait for validation
 * and recent items after; evicting an item still waiting abandons it (the caller is told,
 * so the drop is counted). This is what bounds memory under a flood of gossip.
 *
 * Age order is kept in a FIFO of ids rather than the Map's iteration order (which slows
 * down as deleted entries pile up, see seen-set.ts); ids deleted early are skipped there.
 */
import type { Item } from './item.js';
import { Fifo } from './fifo.js';

export class KnowledgeBase {
  private readonly items = new Map<string, Item>();
  /** Ids in insertion order; may hold ids already deleted (skipped on eviction). */
  private readonly order = new Fifo<string>();
  /** Bytes of item data held. */
  bytes = 0;

  constructor(
    readonly capacity: number,
    private readonly onEvict: (item: Item) => void = () => {},
    readonly maxBytes = Infinity,
  ) {
    if (!(capacity >= 1)) throw new RangeError('knowledge base capacity must be at least 1');
  }

  get size(): number {
    return this.items.size;
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  get(id: string): Item | undefined {
    return this.items.get(id);
  }

  add(item: Item): void {
    if (this.items.has(item.id)) return;
    this.items.set(item.id, item);
    this.bytes += item.data.length;
    this.order.push(item.id);
    // The newest item stays even if it alone is over the byte bound (one frame is at most 64 KiB).
    while (this.items.size > this.capacity || (this.bytes > this.maxBytes && this.items.size > 1)) {
      const oldest = this.items.get(this.order.shift()!);
      if (!oldest) continue; // deleted before it grew old
      this.delete(oldest.id);
      this.onEvict(oldest);
    }
    // Ids deleted early stay in `order` until they reach its head; keep it from growing
    // past twice the capacity under a delete-heavy load.
    if (this.order.length > 2 * this.capacity) this.compact();
  }

  delete(id: string): void {
    const item = this.items.get(id);
    if (!item) return;
    this.items.delete(id);
    this.bytes -= item.data.length;
  }

  private compact(): void {
    const live = this.order.length;
    for (let n = 0; n < live; n++) {
      const id = this.order.shift()!;
      if (this.items.has(id)) this.order.push(id);
    }
  }
}
