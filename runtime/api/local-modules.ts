/**
 * The local modules as the gossip handler sees them (docs/protocol.md §3.1): who subscribed
 * to which data type, the NOTIFICATIONs sent to them, and the validations they owe. The API
 * consumer feeds it NOTIFY and VALIDATION; the gossip handler asks it to notify.
 */
import { GossipNotification } from '../../generated/index.js';
import { NOTIFICATION_MESSAGE_ID_OFFSET } from '../../generated/index.js';
import type { Connection } from '../core/connection.js';
import type { Item } from '../core/item.js';
import { Subscriptions } from './subscriptions.js';
import { ValidationTracker, type TrackedItem, type ValidationOutcome } from './validation-tracker.js';

export interface DeliveryObserver {
  item(event: 'delivered' | 'dropped', reason?: string): void;
}

export class LocalModules<Context> {
  readonly subscriptions = new Subscriptions();
  readonly validations: ValidationTracker<Context>;

  constructor(
    validationTimeoutMs: number,
    onSettled: (record: TrackedItem<Context>, outcome: ValidationOutcome) => void,
    private readonly observer: DeliveryObserver,
  ) {
    this.validations = new ValidationTracker<Context>(validationTimeoutMs, onSettled);
  }

  subscribe(connection: Connection, dataType: number): void {
    this.subscriptions.subscribe(connection, dataType);
  }

  validate(connection: Connection, messageId: number, isValid: boolean): void {
    this.validations.validate(connection, messageId, isValid);
  }

  /** A closed connection's subscriptions end and it no longer counts for validations. */
  connectionClosed(connection: Connection): void {
    this.subscriptions.removeConnection(connection);
    this.validations.removeConnection(connection);
  }

  hasSubscribers(dataType: number): boolean {
    return this.subscriptions.hasSubscribers(dataType);
  }

  /** Sends a NOTIFICATION to every subscriber but `except`; returns the tracking record. */
  notify(item: Item, context: Context, except: Connection | null, needsValidation: boolean): TrackedItem<Context> {
    const subscribers: Connection[] = [];
    for (const connection of this.subscriptions.subscribers(item.dataType)) {
      if (connection !== except) subscribers.push(connection);
    }
    // Nobody to notify and nothing to wait for: keep no record at all (docs/protocol.md §7.2).
    if (subscribers.length === 0 && !needsValidation) return untracked(item, context);
    const record = this.validations.track(item, context, subscribers, needsValidation);
    // Encoded once; the last subscriber gets it, each other one a copy with its own message
    // ID. Copies come from Node's pooled allocator: far fewer ArrayBuffers for the GC to
    // chase than one fresh encode per subscriber.
    const template = GossipNotification.encode({ messageId: 0, dataType: item.dataType, data: item.data });
    const last = record.notified.length - 1;
    for (const [index, notified] of record.notified.entries()) {
      const frame = index === last ? template : Buffer.from(template);
      frame[NOTIFICATION_MESSAGE_ID_OFFSET] = notified.messageId >>> 8;
      frame[NOTIFICATION_MESSAGE_ID_OFFSET + 1] = notified.messageId & 0xff;
      if (notified.connection.send(frame)) {
        this.observer.item('delivered');
      } else {
        this.observer.item('dropped', 'subscriber-send-queue-full');
        this.validations.withdraw(notified);
      }
    }
    return record;
  }

  close(): void {
    this.validations.close();
  }
}

/** The settled, empty record of a local item nobody else subscribes to; never stored. */
function untracked<Context>(item: Item, context: Context): TrackedItem<Context> {
  return {
    item: { id: item.id, dataType: item.dataType, data: new Uint8Array(0) },
    context,
    needsValidation: false,
    expiresAt: 0,
    notified: [],
    pendingIds: 0,
    awaitedCount: 0,
    approvals: 0,
    isSettled: true,
  };
}
