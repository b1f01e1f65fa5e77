/**
 * Message IDs of NOTIFICATIONs and the validations they wait for (docs/protocol.md §3.1).
 *
 * Each notified item gets one record. Each subscriber notified of it gets a random 16-bit
 * message ID, unique among that connection's pending IDs. A peer item settles:
 * - 'valid' when every subscriber still counted answered valid=1,
 * - 'invalid' at the first valid=0,
 * - 'timeout' when `timeoutMs` passes first (docs/protocol.md §6: no item waits forever),
 * - 'abandoned' when every notified subscriber left without a single valid=1.
 * A local item needs no validation (the local module is trusted), but its IDs are still
 * held until the timeout so that a late answer to it is never taken for another item.
 */
import type { Connection } from '../core/connection.js';
import { Fifo } from '../core/fifo.js';
import type { Item } from '../core/item.js';

export type ValidationOutcome = 'valid' | 'invalid' | 'timeout' | 'abandoned';

export interface TrackedItem<Context> {
  /** The item; its data is let go once settled (docs/protocol.md §7.2: records never keep it longer). */
  item: Item;
  readonly context: Context;
  readonly needsValidation: boolean;
  readonly expiresAt: number;
  readonly messageIds: Map<Connection, number>;
  /** Subscribers whose valid=1 is still missing. */
  readonly awaiting: Set<Connection>;
  approvals: number;
  isSettled: boolean;
}

/** Pending IDs one connection may hold; beyond it the oldest is given up (16-bit space). */
export const MAX_PENDING_IDS_PER_CONNECTION = 16_384;

/** Done records tolerated in the expiry FIFO beyond twice the live ones before compacting. */
const COMPACT_SLACK = 1_024;

const NO_DATA = new Uint8Array(0);

function withoutData(item: Item): Item {
  return { id: item.id, dataType: item.dataType, data: NO_DATA };
}

/** One message ID handed to a connection, in the order they were handed out. */
interface IssuedId<Context> {
  readonly messageId: number;
  readonly record: TrackedItem<Context>;
}

export class ValidationTracker<Context> {
  private readonly idsByConnection = new Map<Connection, Map<number, TrackedItem<Context>>>();
  /**
   * Per connection, its IDs oldest first, so that `giveUpOldest` is O(1). Not
   * `ids.entries().next()`: V8 keeps deleted Map entries in place until a rehash, so after
   * many deletions from the front (answers, expiries) finding the first live entry walks
   * them all. Answered and expired IDs stay here until shifted or compacted away.
   */
  private readonly issuedByConnection = new Map<Connection, Fifo<IssuedId<Context>>>();
  private byExpiry = new Fifo<TrackedItem<Context>>();
  /** Records in `byExpiry` still holding message IDs; the rest wait there only to be skipped. */
  private liveRecords = 0;
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly timeoutMs: number,
    private readonly onSettled: (record: TrackedItem<Context>, outcome: ValidationOutcome) => void,
    private readonly random16: () => number = () => (Math.random() * 0x10000) >>> 0,
  ) {}

  /**
   * Starts tracking `item` for `subscribers`; returns the message ID per subscriber to put
   * in its NOTIFICATION.
   */
  track(
    item: Item,
    context: Context,
    subscribers: Iterable<Connection>,
    needsValidation: boolean,
  ): TrackedItem<Context> {
    const record: TrackedItem<Context> = {
      // A local item needs no validation: its record reserves message IDs only (§7.2).
      item: needsValidation ? item : withoutData(item),
      context,
      needsValidation,
      expiresAt: Date.now() + this.timeoutMs,
      messageIds: new Map(),
      awaiting: new Set(),
      approvals: 0,
      isSettled: !needsValidation,
    };
    for (const connection of subscribers) {
      const messageId = this.allocateId(connection, record);
      record.messageIds.set(connection, messageId);
      if (needsValidation) record.awaiting.add(connection);
    }
    this.byExpiry.push(record);
    if (record.messageIds.size > 0) this.liveRecords++;
    this.scheduleSweep();
    return record;
  }

  /** Lets go of the record's item data (the record lives on until its IDs expire). */
  forgetData(record: TrackedItem<Context>): void {
    if (record.item.data.length > 0) record.item = withoutData(record.item);
  }

  /** Withdraws a subscriber that could not be sent its NOTIFICATION. */
  withdraw(record: TrackedItem<Context>, connection: Connection): void {
    const messageId = record.messageIds.get(connection);
    if (messageId === undefined) return;
    this.idsByConnection.get(connection)?.delete(messageId);
    this.dropId(record, connection);
    this.stopAwaiting(record, connection);
  }

  /** A VALIDATION from `connection`. Unknown or expired IDs are ignored (§3.1). */
  validate(connection: Connection, messageId: number, isValid: boolean): void {
    const ids = this.idsByConnection.get(connection);
    const record = ids?.get(messageId);
    if (!ids || !record) return;
    ids.delete(messageId);
    this.dropId(record, connection);
    if (record.isSettled || !record.awaiting.has(connection)) return;
    if (!isValid) {
      this.settle(record, 'invalid');
      return;
    }
    record.approvals++;
    record.awaiting.delete(connection);
    if (record.awaiting.size === 0) this.settle(record, 'valid');
  }

  /** A subscriber left: it no longer counts (§3.1). */
  removeConnection(connection: Connection): void {
    const ids = this.idsByConnection.get(connection);
    if (!ids) return;
    this.idsByConnection.delete(connection);
    this.issuedByConnection.delete(connection);
    for (const record of new Set(ids.values())) {
      this.dropId(record, connection);
      this.stopAwaiting(record, connection);
    }
  }

  pendingIdCount(connection: Connection): number {
    return this.idsByConnection.get(connection)?.size ?? 0;
  }

  /** Records not yet expired (pending or keeping IDs reserved). */
  get trackedCount(): number {
    return this.byExpiry.length;
  }

  close(): void {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
  }

  /**
   * A message ID of `record` is answered or given up. A record left with no IDs and settled
   * is done: under a flood most records get there long before `validation_timeout`, so
   * `byExpiry` is compacted rather than holding them that long (docs/protocol.md §7.2).
   */
  private dropId(record: TrackedItem<Context>, connection: Connection): void {
    if (!record.messageIds.delete(connection) || record.messageIds.size > 0) return;
    this.liveRecords--;
    if (this.byExpiry.length > 2 * this.liveRecords + COMPACT_SLACK) this.compactExpiry();
  }

  private compactExpiry(): void {
    const kept = new Fifo<TrackedItem<Context>>();
    for (let record = this.byExpiry.shift(); record !== undefined; record = this.byExpiry.shift()) {
      if (!record.isSettled || record.messageIds.size > 0) kept.push(record);
    }
    this.byExpiry = kept;
  }

  private stopAwaiting(record: TrackedItem<Context>, connection: Connection): void {
    if (record.isSettled || !record.awaiting.delete(connection)) return;
    if (record.awaiting.size === 0) this.settle(record, record.approvals > 0 ? 'valid' : 'abandoned');
  }

  private allocateId(connection: Connection, record: TrackedItem<Context>): number {
    let ids = this.idsByConnection.get(connection);
    let issued = this.issuedByConnection.get(connection);
    if (!ids || !issued) {
      this.idsByConnection.set(connection, (ids = new Map<number, TrackedItem<Context>>()));
      this.issuedByConnection.set(connection, (issued = new Fifo<IssuedId<Context>>()));
    }
    if (ids.size >= MAX_PENDING_IDS_PER_CONNECTION) this.giveUpOldest(connection, ids, issued);
    // At most a quarter of the ID space is in use, so a random draw hits a free ID
    // within a few tries.
    let messageId = this.random16() & 0xffff;
    while (ids.has(messageId)) messageId = this.random16() & 0xffff;
    ids.set(messageId, record);
    issued.push({ messageId, record });
    // Answered IDs leave `issued` only when shifted: compact so it stays within 2x the cap.
    if (issued.length > 2 * MAX_PENDING_IDS_PER_CONNECTION) {
      this.issuedByConnection.set(connection, compactIssued(issued, ids));
    }
    return messageId;
  }

  /** A subscriber sitting on too many unanswered IDs loses its oldest: as if it timed out. */
  private giveUpOldest(
    connection: Connection,
    ids: Map<number, TrackedItem<Context>>,
    issued: Fifo<IssuedId<Context>>,
  ): void {
    for (let oldest = issued.shift(); oldest !== undefined; oldest = issued.shift()) {
      const { messageId, record } = oldest;
      if (ids.get(messageId) !== record) continue; // answered or expired since
      ids.delete(messageId);
      this.dropId(record, connection);
      if (!record.isSettled && record.awaiting.has(connection)) this.settle(record, 'timeout');
      return;
    }
  }

  private settle(record: TrackedItem<Context>, outcome: ValidationOutcome): void {
    if (record.isSettled) return;
    record.isSettled = true;
    record.awaiting.clear();
    this.onSettled(record, outcome);
    this.forgetData(record);
  }

  private scheduleSweep(): void {
    if (this.sweepTimer !== null) return;
    const head = this.peekOldest();
    if (!head) return;
    const delay = Math.max(0, head.expiresAt - Date.now());
    this.sweepTimer = setTimeout(() => this.sweep(), delay);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    this.sweepTimer = null;
    const now = Date.now();
    for (let head = this.peekOldest(); head && head.expiresAt <= now; head = this.peekOldest()) {
      this.byExpiry.shift();
      this.expire(head);
    }
    this.scheduleSweep();
  }

  private expire(record: TrackedItem<Context>): void {
    for (const [connection, messageId] of record.messageIds) {
      const ids = this.idsByConnection.get(connection);
      if (ids?.get(messageId) === record) ids.delete(messageId);
    }
    if (record.messageIds.size > 0) this.liveRecords--;
    record.messageIds.clear();
    this.settle(record, 'timeout');
  }

  private peekOldest(): TrackedItem<Context> | undefined {
    return this.byExpiry.peek();
  }
}

/** The IDs of `issued` still pending in `ids`, oldest first. */
function compactIssued<Context>(
  issued: Fifo<IssuedId<Context>>,
  ids: Map<number, TrackedItem<Context>>,
): Fifo<IssuedId<Context>> {
  const live = new Fifo<IssuedId<Context>>();
  for (let entry = issued.shift(); entry !== undefined; entry = issued.shift()) {
    if (ids.get(entry.messageId) === entry.record) live.push(entry);
  }
  return live;
}
