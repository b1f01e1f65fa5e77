/**
 * The set of item ids this node has handled, so that each item is handled once
 * (PROTOCOL.md §4.4). Bounded by count, oldest forgotten first. It is sized on its own,
 * far larger than the knowledge base: an id must be remembered for as long as the item
 * can still circulate, while its data need not be.
 */
export class SeenSet {
  private readonly ids = new Set<string>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('seen-set capacity must be at least 1');
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Records `id`; false when it was already there (a duplicate). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      // A Set iterates in insertion order: the first id is the oldest.
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
    return true;
  }
}
