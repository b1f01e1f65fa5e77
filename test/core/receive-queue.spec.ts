import assert from 'node:assert/strict';
import { MessageType } from '../../generated/index.js';
import { ReceiveQueue } from '../../runtime/core/receive-queue.js';

describe('ReceiveQueue', () => {
  const isValidation = (item: { type: number }) => item.type === MessageType.GOSSIP_VALIDATION;

  it('serves VALIDATION frames before everything queued earlier', () => {
    const queue = new ReceiveQueue<{ type: number; n: number }>(100, isValidation);
    queue.push({ type: MessageType.GOSSIP_ANNOUNCE, n: 1 });
    queue.push({ type: MessageType.GOSSIP_NOTIFY, n: 2 });
    queue.push({ type: MessageType.GOSSIP_VALIDATION, n: 3 });
    queue.push({ type: MessageType.GOSSIP_ANNOUNCE, n: 4 });
    queue.push({ type: MessageType.GOSSIP_VALIDATION, n: 5 });
    const order = [];
    for (let item = queue.shift(); item; item = queue.shift()) order.push(item.n);
    assert.deepEqual(order, [3, 5, 1, 2, 4]);
  });

  it('serves the other frames first when asked to (the pump alternates the two)', () => {
    const queue = new ReceiveQueue<{ type: number; n: number }>(100, isValidation);
    queue.push({ type: MessageType.GOSSIP_VALIDATION, n: 1 });
    queue.push({ type: MessageType.GOSSIP_ANNOUNCE, n: 2 });
    queue.push({ type: MessageType.GOSSIP_VALIDATION, n: 3 });
    assert.equal(queue.hasNormal, true);
    assert.deepEqual([queue.shift(false)!.n, queue.shift(false)!.n, queue.shift(false)!.n], [2, 1, 3]);
    assert.equal(queue.hasNormal, false);
  });

  it('keeps arrival order within each lane', () => {
    const queue = new ReceiveQueue<{ type: number; n: number }>(10_000, isValidation);
    for (let n = 0; n < 1000; n++)
      queue.push({ type: n % 3 === 0 ? MessageType.GOSSIP_VALIDATION : MessageType.GOSSIP_ANNOUNCE, n });
    const served: number[] = [];
    for (let item = queue.shift(); item; item = queue.shift()) served.push(item.n);
    const validations = served.filter((n) => n % 3 === 0);
    const others = served.filter((n) => n % 3 !== 0);
    assert.deepEqual(served, [...validations, ...others]);
    assert.deepEqual(
      validations,
      [...validations].sort((a, b) => a - b),
    );
    assert.deepEqual(
      others,
      [...others].sort((a, b) => a - b),
    );
  });

  it('reports full at its capacity and has-priority while a validation waits', () => {
    const queue = new ReceiveQueue<{ type: number }>(2, isValidation);
    assert.equal(queue.isFull, false);
    queue.push({ type: MessageType.GOSSIP_ANNOUNCE });
    assert.equal(queue.hasPriority, false);
    queue.push({ type: MessageType.GOSSIP_VALIDATION });
    assert.equal(queue.isFull, true);
    assert.equal(queue.hasPriority, true);
    queue.shift();
    assert.equal(queue.hasPriority, false);
    assert.equal(queue.isFull, false);
  });
});
