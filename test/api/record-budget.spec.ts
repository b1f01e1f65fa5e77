/**
 * Validation records within budget (docs/protocol.md §7.2): a local item nobody else
 * subscribes to keeps no record; a local item's record never holds its data; a peer item's
 * record lets go of its data once settled; records done long before `validation_timeout`
 * do not pile up.
 */
import assert from 'node:assert/strict';
import { LocalModules } from '../../runtime/api/local-modules.js';
import { pendingMessageId, ValidationTracker } from '../../runtime/api/validation-tracker.js';
import { makeItem } from '../../runtime/core/item.js';
import { FakeConnection } from '../support/fake-connection.js';

const NO_OBSERVER = { item: () => {} };

describe('validation records within budget (docs/protocol.md §7.2)', () => {
  let modules: LocalModules<null>;
  beforeEach(() => {
    modules = new LocalModules<null>(60_000, () => {}, NO_OBSERVER);
  });
  afterEach(() => modules.close());

  it('keeps no record of a local item whose only subscriber is its announcer', () => {
    const announcer = new FakeConnection('127.0.0.1', true).asConnection();
    modules.subscribe(announcer, 5);
    for (let n = 0; n < 1_000; n++) modules.notify(makeItem(5, Buffer.alloc(65_000, n)), null, announcer, false);
    assert.equal(modules.validations.trackedCount, 0);
  });

  it('never keeps the data of a local item in its record', () => {
    const announcer = new FakeConnection('127.0.0.1', true).asConnection();
    const other = new FakeConnection('127.0.0.1', true);
    modules.subscribe(other.asConnection(), 5);
    const record = modules.notify(makeItem(5, Buffer.alloc(65_000, 1)), null, announcer, false);
    assert.equal(other.sent.length, 1, 'the other subscriber was notified');
    assert.equal(record.item.data.length, 0);
  });

  it("lets go of a peer item's data once it is settled", () => {
    const subscriber = new FakeConnection('127.0.0.1', true);
    modules.subscribe(subscriber.asConnection(), 5);
    const record = modules.notify(makeItem(5, Buffer.alloc(1_000, 2)), null, null, true);
    assert.equal(record.item.data.length, 1_000, 'kept while it waits for validation');
    modules.validate(subscriber.asConnection(), pendingMessageId(record, subscriber.asConnection())!, true);
    assert.equal(record.isSettled, true);
    assert.equal(record.item.data.length, 0);
  });

  it('does not hold answered records until validation_timeout', () => {
    const tracker = new ValidationTracker<null>(60_000, () => {});
    const subscriber = new FakeConnection('127.0.0.1', true).asConnection();
    for (let n = 0; n < 100_000; n++) {
      const record = tracker.track(makeItem(5, Buffer.from(`item ${n}`)), null, [subscriber], true);
      tracker.validate(subscriber, pendingMessageId(record, subscriber)!, true);
    }
    assert.ok(tracker.trackedCount < 5_000, `${tracker.trackedCount} records kept`);
    tracker.close();
  });
});
