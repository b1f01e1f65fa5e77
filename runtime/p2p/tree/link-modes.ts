/**
 * Eager or lazy, per link (docs/protocol.md §4.8 item 1): one value per link for all items,
 * so the eager links of all nodes form one shared tree. A link starts eager when it becomes
 * active; GRAFT and a new payload on a lazy link make it eager, a duplicate payload and PRUNE
 * make it lazy. Pure bookkeeping: who sends what is dissemination.ts's job.
 */
import type { Connection } from '../../core/connection.js';

export type LinkMode = 'eager' | 'lazy';

export class LinkModes {
  private readonly modes = new Map<Connection, LinkMode>();

  /** A link became active: it starts eager. */
  add(link: Connection): void {
    this.modes.set(link, 'eager');
  }

  remove(link: Connection): void {
    this.modes.delete(link);
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
