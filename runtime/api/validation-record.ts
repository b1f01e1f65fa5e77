/**
 * What the validation tracker keeps per notified item (docs/protocol.md §3.1, §7.2): the
 * record and, per subscriber notified, its message ID.
 */
import type { Connection } from '../core/connection.js';
import type { Item } from '../core/item.js';

export interface TrackedItem<Context> {
  /** The item; its data is let go once settled (docs/protocol.md §7.2: records never keep it longer). */
  item: Item;
  readonly context: Context;
  readonly needsValidation: boolean;
  readonly expiresAt: number;
  /**
   * The subscribers notified, one entry each. An array of small objects, not a Map and a
   * Set: a flood keeps tens of thousands of records alive at once, and the two hash tables
   * made them the bulk of what every young-generation collection copied (docs/memory.md).
   */
  readonly notified: Array<Notified<Context>>;
  /** Entries of `notified` whose message ID is still reserved. */
  pendingIds: number;
  /** Entries of `notified` whose valid=1 is still missing. */
  awaitedCount: number;
  approvals: number;
  isSettled: boolean;
}

/** One subscriber notified of a record's item, with the message ID it was given. */
export interface Notified<Context> {
  readonly connection: Connection;
  readonly messageId: number;
  readonly record: TrackedItem<Context>;
  /** The ID is still reserved: not yet answered, given up, withdrawn or expired. */
  isPending: boolean;
  /** Its valid=1 is still missing (never, for an item that needs no validation). */
  isAwaited: boolean;
}

/** The message ID `connection` was given for the record's item, while still reserved. */
export function pendingMessageId<Context>(record: TrackedItem<Context>, connection: Connection): number | undefined {
  return record.notified.find((n) => n.connection === connection && n.isPending)?.messageId;
}
