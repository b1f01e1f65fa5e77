import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { EventTally } from '../runtime/event-tally.js';

describe('EventTally (item events counted in a Map, added to the counter at scrape)', () => {
  it('counts each event once per label value, however often the counter is read', async () => {
    const registry = new Registry();
    const drops = new EventTally('dropped_total', 'dropped', registry, 'reason');
    const value = async (reason: string) =>
      (await drops.counter.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
    drops.add('cache-evicted');
    drops.add('cache-evicted');
    drops.add('send-stalled', 5);
    assert.equal(await value('cache-evicted'), 2);
    assert.equal(await value('cache-evicted'), 2, 'a second read counted the same events again');
    drops.add('cache-evicted');
    assert.equal(await value('cache-evicted'), 3);
    assert.equal(await value('send-stalled'), 5);
    assert.match(await registry.metrics(), /dropped_total\{reason="cache-evicted"\} 3/);
  });

  it('a counter without a label sums every event, whatever value it was given', async () => {
    const registry = new Registry();
    const received = new EventTally('received_total', 'received', registry);
    received.add();
    received.add('unspecified');
    received.add('', 3);
    assert.equal((await received.counter.get()).values[0]?.value, 5);
    assert.match(await registry.metrics(), /^received_total 5$/m);
  });
});
