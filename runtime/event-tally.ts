/**
 * A prom-client counter with at most one label, counted in a plain Map and added to the
 * counter when it is collected (a /metrics scrape, or `get()`). prom-client hashes the
 * label set on every `inc`, and the gossip handler counts one to three item events per item:
 * about a thirtieth of a flooded daemon's time (bench:soak --mode flood, docs/memory.md).
 * runtime/frame-tally.ts does the same for the per-frame counters.
 */
import { Counter, type LabelValues, type Registry } from 'prom-client';

export class EventTally<L extends string> {
  readonly counter: Counter<L>;
  /** Counts not yet added to the counter, by label value ('' when the counter has no label). */
  private readonly pending = new Map<string, number>();
  private readonly hasLabel: boolean;

  constructor(name: string, help: string, registry: Registry, label?: L) {
    this.hasLabel = label !== undefined;
    const pending = this.pending;
    this.counter = new Counter<L>({
      name,
      help,
      labelNames: label === undefined ? [] : [label],
      registers: [registry],
      collect() {
        for (const [value, count] of pending) {
          if (label === undefined) this.inc(count);
          else this.inc({ [label]: value } as LabelValues<L>, count);
        }
        pending.clear();
      },
    });
  }

  /** Counts `amount` events with label value `value` (ignored when the counter has no label). */
  add(value = '', amount = 1): void {
    const key = this.hasLabel ? value : '';
    this.pending.set(key, (this.pending.get(key) ?? 0) + amount);
  }
}
