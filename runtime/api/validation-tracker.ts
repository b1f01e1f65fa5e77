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
import type { Notified, TrackedItem } from './validation-record.js';

export type ValidationOutcome = 'valid' | 'invalid' | 'timeout' | 'abandoned';

export { pendingMessageId, type Notified, type TrackedItem } from './validation-record.js';

/** Pending IDs one connection may hold; beyond it the oldest is given up (16-bit space). */
export const MAX_PENDING_IDS_PER_CONNECTION = 16_384;

/** Done records tolerated in the expiry FIFO beyond twice the live ones before compacting. */
const COMPACT_SLACK = 1_024;

const NO_DATA = new Uint8Array(0);

function withoutData(item: Item): Item {
  return { id: item.id, dataType: item.dataType, data: NO_DATA };
}

export class ValidationTracker<Context> {
  private readonly idsByConnection = new Map<Connection, Map<number, Notified<Context>>>();
  /**
   * Per connection, its IDs oldest first, so that `giveUpOldest` is O(1). Not
   * `ids.values().next()`: V8 keeps deleted Map entries in place until a rehash, so after
   * many deletions from the front (answers, expiries) finding the first live entry walks
   * them all. Answered and expired IDs stay here until shifted or compacted away.
   */
  private readonly issuedByConnection = new Map<Connection, Fifo<Notified<Context>>>();
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
   * Starts tracking `item` for `subscribers`; each gets its own message ID (in
   * `record.notified`) to put in its NOTIFICATION.
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
      notified: [],
      pendingIds: 0,
      awaitedCount: 0,
      approvals: 0,
      isSettled: !needsValidation,
    };
    for (const connection of subscribers) {
      const notified: Notified<Context> = {
        connection,
        messageId: this.freeId(connection),
        record,
        isPending: true,
        isAwaited: needsValidation,
      };
      this.reserve(notified);
      record.notified.push(notified);
      record.pendingIds++;
      if (needsValidation) record.awaitedCount++;
    }
    this.byExpiry.push(record);
    if (record.pendingIds > 0) this.liveRecords++;
    this.scheduleSweep();
    return record;
  }

  /** Lets go of the record's item data (the record lives on until its IDs expire). */
  forgetData(record: TrackedItem<Context>): void {
    if (record.item.data.length > 0) record.item = withoutData(record.item);
  }

  /** Withdraws a subscriber that could not be sent its NOTIFICATION. */
  withdraw(notified: Notified<Context>): void {
    if (!notified.isPending) return;
    this.unreserve(notified);
    this.dropId(notified);
    this.stopAwaiting(notified);
  }

  /** A VALIDATION from `connection`. Unknown or expired IDs are ignored (§3.1). */
  validate(connection: Connection, messageId: number, isValid: boolean): void {
    const notified = this.idsByConnection.get(connection)?.get(messageId);
    if (!notified) return;
    this.unreserve(notified);
    this.dropId(notified);
    const { record } = notified;
    if (record.isSettled || !notified.isAwaited) return;
    if (!isValid) {
      this.settle(record, 'invalid');
      return;
    }
    record.approvals++;
    notified.isAwaited = false;
    if (--record.awaitedCount === 0) this.settle(record, 'valid');
  }

  /** A subscriber left: it no longer counts (§3.1). */
  removeConnection(connection: Connection): void {
    const ids = this.idsByConnection.get(connection);
    if (!ids) return;
    this.idsByConnection.delete(connection);
    this.issuedByConnection.delete(connection);
    for (const notified of ids.values()) {
      this.dropId(notified);
      this.stopAwaiting(notified);
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

  /** A message ID not pending on `connection`, drawn at random. */
  private freeId(connection: Connection): number {
    const ids = this.idsByConnection.get(connection);
    if (ids && ids.size >= MAX_PENDING_IDS_PER_CONNECTION) this.giveUpOldest(connection);
    // At most a quarter of the ID space is in use, so a random draw hits a free ID
    // within a few tries.
    let messageId = this.random16() & 0xffff;
    while (ids?.has(messageId)) messageId = this.random16() & 0xffff;
    return messageId;
  }

  private reserve(notified: Notified<Context>): void {
    const { connection } = notified;
    let ids = this.idsByConnection.get(connection);
    let issued = this.issuedByConnection.get(connection);
    if (!ids || !issued) {
      this.idsByConnection.set(connection, (ids = new Map<number, Notified<Context>>()));
      this.issuedByConnection.set(connection, (issued = new Fifo<Notified<Context>>()));
    }
    ids.set(notified.messageId, notified);
    issued.push(notified);
    // Answered IDs leave `issued` only when shifted: compact so it stays within 2x the cap.
    if (issued.length > 2 * MAX_PENDING_IDS_PER_CONNECTION) {
      this.issuedByConnection.set(connection, compactIssued(issued));
    }
  }

  /** Frees the ID for reuse by its connection. */
  private unreserve(notified: Notified<Context>): void {
    const ids = this.idsByConnection.get(notified.connection);
    if (ids?.get(notified.messageId) === notified) ids.delete(notified.messageId);
  }

  /**
   * A message ID is answered or given up. A record left with no IDs and settled is done:
   * under a flood most records get there long before `validation_timeout`, so `byExpiry`
   * is compacted rather than holding them that long (docs/protocol.md §7.2).
   */
  private dropId(notified: Notified<Context>): void {
    if (!notified.isPending) return;
    notified.isPending = false;
    if (--notified.record.pendingIds > 0) return;
    this.liveRecords--;
    if (this.byExpiry.length > 2 * this.liveRecords + COMPACT_SLACK) this.compactExpiry();
  }

  private compactExpiry(): void {
    const kept = new Fifo<TrackedItem<Context>>();
    for (let record = this.byExpiry.shift(); record !== undefined; record = this.byExpiry.shift()) {
      if (!record.isSettled || record.pendingIds > 0) kept.push(record);
    }
    this.byExpiry = kept;
  }

  private stopAwaiting(notified: Notified<Context>): void {
    const { record } = notified;
    if (record.isSettled || !notified.isAwaited) return;
    notified.isAwaited = false;
    if (--record.awaitedCount === 0) this.settle(record, record.approvals > 0 ? 'valid' : 'abandoned');
  }

  /** A subscriber sitting on too many unanswered IDs loses its oldest: as if it timed out. */
  private giveUpOldest(connection: Connection): void {
    const issued = this.issuedByConnection.get(connection);
    if (!issued) return;
    for (let oldest = issued.shift(); oldest !== undefined; oldest = issued.shift()) {
      if (!oldest.isPending) continue; // answered or expired since
      this.unreserve(oldest);
      this.dropId(oldest);
      if (!oldest.record.isSettled && oldest.isAwaited) this.settle(oldest.record, 'timeout');
      return;
    }
  }

  private settle(record: TrackedItem<Context>, outcome: ValidationOutcome): void {
    if (record.isSettled) return;
    record.isSettled = true;
    for (const notified of record.notified) notified.isAwaited = false;
    record.awaitedCount = 0;
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
    for (const notified of record.notified) {
      if (!notified.isPending) continue;
      this.unreserve(notified);
      notified.isPending = false;
    }
    if (record.pendingIds > 0) this.liveRecords--;
    record.pendingIds = 0;
    this.settle(record, 'timeout');
  }

  private peekOldest(): TrackedItem<Context> | undefined {
    return this.byExpiry.peek();
  }
}

/** The IDs of `issued` still pending, oldest first. */
function compactIssued<Context>(issued: Fifo<Notified<Context>>): Fifo<Notified<Context>> {
  const live = new Fifo<Notified<Context>>();
  for (let entry = issued.shift(); entry !== undefined; entry = issued.shift()) {
    if (entry.isPending) live.push(entry);
  }
  return live;
}
