/**
 * The knowledge base: the items this node holds (PROTOCOL.md §5 `cache_size`), at most
 * `capacity`, oldest evicted first. It holds peer items while they wait for validation
 * and recent items after; evicting an item still waiting abandons it (the caller is told,
 * so the drop is counted). This is what bounds memory under a flood of gossip.
 */
import type { Item } from './item.js';

export class KnowledgeBase {
  private readonly items = new Map<string, Item>();

  constructor(
    readonly capacity: number,
    private readonly onEvict: (item: Item) => void = () => {},
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
    this.items.delete(item.id);
    this.items.set(item.id, item);
    while (this.items.size > this.capacity) {
      const oldest = this.items.values().next().value as Item;
      this.items.delete(oldest.id);
      this.onEvict(oldest);
    }
  }

  delete(id: string): void {
    this.items.delete(id);
  }
}
