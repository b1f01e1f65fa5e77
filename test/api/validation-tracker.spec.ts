import assert from 'node:assert/strict';
import type { Connection } from '../../runtime/core/connection.js';
import { makeItem } from '../../runtime/core/item.js';
import {
  MAX_PENDING_IDS_PER_CONNECTION,
  pendingMessageId,
  ValidationTracker,
  type ValidationOutcome,
} from '../../runtime/api/validation-tracker.js';

/** The tracker only uses connections as identities. */
const fakeConnection = (name: string) => ({ label: name }) as unknown as Connection;

describe('ValidationTracker (docs/protocol.md §3.1)', () => {
  let outcomes: ValidationOutcome[];
  let tracker: ValidationTracker<string>;
  const a = fakeConnection('a');
  const b = fakeConnection('b');
  const item = makeItem(1, Buffer.from('payload'));

  beforeEach(() => {
    outcomes = [];
    tracker = new ValidationTracker<string>(10_000, (_record, outcome) => outcomes.push(outcome));
  });
  afterEach(() => tracker.close());

  it('settles valid only after every subscriber answered valid=1', () => {
    const record = tracker.track(item, 'ctx', [a, b], true);
    tracker.validate(a, pendingMessageId(record, a)!, true);
    assert.deepEqual(outcomes, []);
    tracker.validate(b, pendingMessageId(record, b)!, true);
    assert.deepEqual(outcomes, ['valid']);
  });

  it('settles invalid at the first valid=0', () => {
    const record = tracker.track(item, 'ctx', [a, b], true);
    tracker.validate(b, pendingMessageId(record, b)!, false);
    assert.deepEqual(outcomes, ['invalid']);
    tracker.validate(a, pendingMessageId(record, a) ?? 0, true);
    assert.deepEqual(outcomes, ['invalid']);
  });

  it('ignores unknown message IDs and IDs of another connection', () => {
    const record = tracker.track(item, 'ctx', [a], true);
    const id = pendingMessageId(record, a)!;
    tracker.validate(b, id, false);
    tracker.validate(a, (id + 1) & 0xffff, false);
    assert.deepEqual(outcomes, []);
  });

  it('stops counting a subscriber that leaves', () => {
    const record = tracker.track(item, 'ctx', [a, b], true);
    tracker.validate(a, pendingMessageId(record, a)!, true);
    tracker.removeConnection(b);
    assert.deepEqual(outcomes, ['valid']);
  });

  it('abandons an item when every subscriber left without vouching', () => {
    tracker.track(item, 'ctx', [a], true);
    tracker.removeConnection(a);
    assert.deepEqual(outcomes, ['abandoned']);
  });

  it('drops an item nobody answered within the timeout (§6: no endless wait)', async () => {
    let expired!: () => void;
    const settled = new Promise<void>((resolve) => (expired = resolve));
    const quick = new ValidationTracker<string>(30, (_r, outcome) => {
      outcomes.push(outcome);
      expired();
    });
    const started = Date.now();
    const record = quick.track(item, 'ctx', [a], true);
    await settled;
    assert.ok(Date.now() - started >= 29, 'settled before its timeout');
    assert.deepEqual(outcomes, ['timeout']);
    quick.validate(a, pendingMessageId(record, a) ?? 0, true);
    assert.deepEqual(outcomes, ['timeout'], 'an expired ID is ignored');
    assert.equal(quick.pendingIdCount(a), 0);
    quick.close();
  });

  it("hands out message IDs unique among a connection's pending IDs, even from a bad random source", () => {
    let calls = 0;
    const collisions = new ValidationTracker<string>(
      10_000,
      () => {},
      () => [7, 7, 7, 8, 7, 9][calls++ % 6]!,
    );
    const ids = [0, 1, 2].map((n) => pendingMessageId(collisions.track(makeItem(n, Buffer.of(n)), 'c', [a], true), a));
    assert.equal(new Set(ids).size, 3);
    collisions.close();
  });

  it('bounds the pending IDs per connection, giving up the oldest', () => {
    const first = tracker.track(item, 'ctx', [a], true);
    for (let n = 0; n < MAX_PENDING_IDS_PER_CONNECTION; n++)
      tracker.track(makeItem(2, Buffer.from(String(n))), 'x', [a], false);
    assert.equal(tracker.pendingIdCount(a), MAX_PENDING_IDS_PER_CONNECTION);
    assert.equal(first.isSettled, true);
    assert.deepEqual(outcomes, ['timeout']);
  });
});
