/**
 * Entries ordered by deadline, soonest first, equal deadlines in the order they were pushed
 * (a binary min-heap): the missing items' timers (missing-items.ts), whose first waits are
 * spread at random and so do not fall due in the order they were set.
 */
interface Entry<T> {
  readonly deadline: number;
  readonly order: number;
  readonly value: T;
}

const before = <T>(a: Entry<T>, b: Entry<T>): boolean =>
  a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order);

export class DeadlineHeap<T> {
  private readonly entries: Entry<T>[] = [];
  private pushed = 0;

  get length(): number {
    return this.entries.length;
  }

  push(deadline: number, value: T): void {
    const entries = this.entries;
    entries.push({ deadline, order: this.pushed++, value });
    let at = entries.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!before(entries[at]!, entries[parent]!)) break;
      [entries[parent], entries[at]] = [entries[at]!, entries[parent]!];
      at = parent;
    }
  }

  /** The soonest deadline, or undefined when empty. */
  peekDeadline(): number | undefined {
    return this.entries[0]?.deadline;
  }

  /** Removes and returns the entry with the soonest deadline. */
  pop(): Entry<T> | undefined {
    const entries = this.entries;
    const top = entries[0];
    const last = entries.pop();
    if (top === undefined || last === undefined || entries.length === 0) return top;
    entries[0] = last;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let smallest = at;
      if (left < entries.length && before(entries[left]!, entries[smallest]!)) smallest = left;
      if (right < entries.length && before(entries[right]!, entries[smallest]!)) smallest = right;
      if (smallest === at) return top;
      [entries[smallest], entries[at]] = [entries[at]!, entries[smallest]!];
      at = smallest;
    }
  }
}
