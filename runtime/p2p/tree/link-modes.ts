/**
 * Eager or lazy, per link (docs/protocol.md §4.8 item 1): one value per link for all items,
 * so the eager links of all nodes form one shared tree. A link starts eager when it becomes
 * active; GRAFT and a new payload on a lazy link make it eager, PRUNE and duplicates make it
 * lazy: the PRUNE_AFTER_DUPLICATES-th duplicate in a row (a new payload over it starts the
 * count over). Pure bookkeeping: who sends what is dissemination.ts's job.
 */
import type { Connection } from '../../core/connection.js';

export type LinkMode = 'eager' | 'lazy';

/**
 * Duplicates in a row that make a link lazy. Not 1: while items from several sources are in
 * flight at once, a link that is the tree's path for one item may bring a duplicate of
 * another; pruning it at once cut the eager links of 50 nodes into a forest under load (a
 * pull per fragment per item). A link that only ever brings duplicates is cut one item later.
 */
export const PRUNE_AFTER_DUPLICATES = 2;

export class LinkModes {
  private readonly modes = new Map<Connection, LinkMode>();
  /** Duplicates each link brought since its last new payload. */
  private readonly duplicateRuns = new Map<Connection, number>();

  /** A link became active: it starts eager. */
  add(link: Connection): void {
    this.modes.set(link, 'eager');
  }

  remove(link: Connection): void {
    this.modes.delete(link);
    this.duplicateRuns.delete(link);
  }

  /**
   * A new payload came over `link`: it carries the tree for that item, so it is eager. A new
   * pruning item (pruning-items.ts) also ends the link's run of duplicates: runs count pruning
   * items only, or links that carry some items first would never be cut while few items prune.
   */
  firstCopy(link: Connection, endsRun = true): void {
    if (endsRun) this.duplicateRuns.delete(link);
    this.set(link, 'eager');
  }

  /** A duplicate came over `link`; true when that makes it lazy (then PRUNE is due). */
  duplicate(link: Connection): boolean {
    if (!this.modes.has(link)) return false;
    const run = (this.duplicateRuns.get(link) ?? 0) + 1;
    if (run < PRUNE_AFTER_DUPLICATES) {
      this.duplicateRuns.set(link, run);
      return false;
    }
    this.duplicateRuns.delete(link);
    this.set(link, 'lazy');
    return true;
  }

  has(link: Connection): boolean {
    return this.modes.has(link);
  }

  modeOf(link: Connection): LinkMode | undefined {
    return this.modes.get(link);
  }

  isLazy(link: Connection): boolean {
    return this.modes.get(link) === 'lazy';
  }

  /** Sets a known link's mode; true when it changed. Unknown links stay unknown. */
  set(link: Connection, mode: LinkMode): boolean {
    const current = this.modes.get(link);
    if (current === undefined || current === mode) return false;
    this.modes.set(link, mode);
    return true;
  }

  /** How many links are in each mode (the `gossip_tree_links` gauge). */
  counts(): Record<LinkMode, number> {
    const counts = { eager: 0, lazy: 0 };
    for (const mode of this.modes.values()) counts[mode]++;
    return counts;
  }
}
