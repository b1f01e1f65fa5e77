/**
 * Ids waiting to be announced on lazy links (docs/protocol.md §4.8 item 3): per link, the ids
 * collected since its last IHAVE go out together `delayMs` after the first of them, or at once
 * when a frame's worth (256) is waiting. Batching makes a lazy announcement cost about 8 bytes
 * per item instead of a frame per item.
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { Connection } from '../../core/connection.js';

/** Most ids one IHAVE or GRAFT carries (its largest size, 2056 bytes: docs/protocol.md §2). */
export const MAX_IDS_PER_FRAME = 256;

interface Batch {
  /** In the order they came; a Set, so that an id announced to this node first leaves in O(1). */
  readonly ids: Set<string>;
  readonly timer: Timer;
}

export class LazyBatches {
  private readonly batches = new Map<Connection, Batch>();

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
    /** Sends one IHAVE of `ids` (at most MAX_IDS_PER_FRAME) on `link`. */
    private readonly send: (link: Connection, ids: readonly string[]) => void,
  ) {}

  /** Queues `id` for `link`; a full batch goes out at once. */
  add(link: Connection, id: string): void {
    let batch = this.batches.get(link);
    if (!batch) {
      batch = { ids: new Set(), timer: this.clock.setTimeout(() => this.flush(link), this.delayMs) };
      this.batches.set(link, batch);
    }
    batch.ids.add(id);
    if (batch.ids.size >= MAX_IDS_PER_FRAME) this.flush(link);
  }

  /** `id` need not be announced to `link` after all (it announced the item first). */
  remove(link: Connection, id: string): void {
    const batch = this.batches.get(link);
    if (!batch?.ids.delete(id)) return;
    if (batch.ids.size === 0) this.drop(link);
  }

  /** Sends what waits for `link` now. */
  flush(link: Connection): void {
    const batch = this.batches.get(link);
    if (!batch) return;
    this.batches.delete(link);
    batch.timer.cancel();
    this.send(link, [...batch.ids]);
  }

  /** The link closed: its waiting ids are dropped. */
  drop(link: Connection): void {
    this.batches.get(link)?.timer.cancel();
    this.batches.delete(link);
  }

  /** Ids waiting, over all links (memory accounting). */
  get waiting(): number {
    let count = 0;
    for (const batch of this.batches.values()) count += batch.ids.size;
    return count;
  }

  close(): void {
    for (const batch of this.batches.values()) batch.timer.cancel();
    this.batches.clear();
  }
}
