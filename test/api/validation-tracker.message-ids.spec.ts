/**
 * Message IDs of NOTIFICATIONs (docs/protocol.md §3.1: a random 16-bit ID unique among the
 * connection's pending validations), at the bound of MAX_PENDING_IDS_PER_CONNECTION, where
 * the tracker gives up a connection's oldest pending ID. The black-box side of the rule is
 * in test/daemon/api.spec.ts; this drives the tracker past its bound many times over.
 */
import assert from 'node:assert/strict';
import type { Connection } from '../../runtime/core/connection.js';
import { makeItem } from '../../runtime/core/item.js';
import {
  MAX_PENDING_IDS_PER_CONNECTION,
  pendingMessageId,
  ValidationTracker,
  type TrackedItem,
  type ValidationOutcome,
} from '../../runtime/api/validation-tracker.js';

const connection = { label: 'api#1' } as unknown as Connection;
let nextItem = 0;
const freshItem = () => makeItem(1, Buffer.from(String(++nextItem)));

describe('API message IDs at the pending bound (docs/protocol.md §3.1)', () => {
  let outcomes: Array<[TrackedItem<number>, ValidationOutcome]>;
  let tracker: ValidationTracker<number>;

  beforeEach(() => {
    outcomes = [];
    tracker = new ValidationTracker<number>(60_000, (record, outcome) => outcomes.push([record, outcome]));
  });
  afterEach(() => tracker.close());

  it('gives up the oldest STILL PENDING ID, not one already answered', () => {
    const answered = tracker.track(freshItem(), 0, [connection], true);
    const oldestPending = tracker.track(freshItem(), 1, [connection], true);
    tracker.validate(connection, pendingMessageId(answered, connection)!, true);
    for (let n = tracker.pendingIdCount(connection); n < MAX_PENDING_IDS_PER_CONNECTION; n++)
      tracker.track(freshItem(), 2, [connection], true);
    assert.deepEqual(
      outcomes.map(([record, outcome]) => [record.context, outcome]),
      [[0, 'valid']],
    );
    tracker.track(freshItem(), 3, [connection], true);
    assert.deepEqual(
      outcomes.map(([record, outcome]) => [record.context, outcome]),
      [
        [0, 'valid'],
        [1, 'timeout'],
      ],
    );
    assert.equal(pendingMessageId(oldestPending, connection), undefined);
    assert.equal(tracker.pendingIdCount(connection), MAX_PENDING_IDS_PER_CONNECTION);
  });

  it('keeps IDs unique among pending ones and the count bounded over many times the bound', () => {
    const pending = new Map<number, TrackedItem<number>>();
    for (let n = 0; n < 4 * MAX_PENDING_IDS_PER_CONNECTION; n++) {
      const record = tracker.track(freshItem(), n, [connection], true);
      const id = pendingMessageId(record, connection)!;
      const holder = pending.get(id);
      // An ID may be handed out again only once its previous item no longer holds it.
      assert.ok(
        holder === undefined || pendingMessageId(holder, connection) === undefined,
        `ID ${id} handed out twice while pending`,
      );
      pending.set(id, record);
      // Answer every third item at once, so answered IDs interleave with pending ones.
      if (n % 3 === 0) tracker.validate(connection, id, true);
      assert.ok(tracker.pendingIdCount(connection) <= MAX_PENDING_IDS_PER_CONNECTION);
    }
    // Given-up items are exactly the oldest unanswered ones, in order.
    const timedOut = outcomes.filter(([, outcome]) => outcome === 'timeout').map(([record]) => record.context);
    assert.ok(timedOut.length > 0);
    assert.deepEqual(
      timedOut,
      [...timedOut].sort((x, y) => x - y),
    );
    assert.ok(
      timedOut.every((context) => context % 3 !== 0),
      'an answered item was given up',
    );
  });
});
