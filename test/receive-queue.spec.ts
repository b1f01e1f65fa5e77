import assert from 'node:assert/strict';
import { Fifo } from '../runtime/core/fifo.js';
import { ReceiveQueue } from '../runtime/core/receive-queue.js';

describe('ReceiveQueue', () => {
  const isValidation = (item: { type: number }) => item.type === 503;

  it('serves VALIDATION frames before everything queued earlier', () => {
    const queue = new ReceiveQueue<{ type: number; n: number }>(100, isValidation);
    queue.push({ type: 500, n: 1 });
    queue.push({ type: 501, n: 2 });
    queue.push({ type: 503, n: 3 });
    queue.push({ type: 500, n: 4 });
    queue.push({ type: 503, n: 5 });
    const order = [];
    for (let item = queue.shift(); item; item = queue.shift()) order.push(item.n);
    assert.deepEqual(order, [3, 5, 1, 2, 4]);
  });

  it('keeps arrival order within each lane', () => {
    const queue = new ReceiveQueue<{ type: number; n: number }>(10_000, isValidation);
    for (let n = 0; n < 1000; n++) queue.push({ type: n % 3 === 0 ? 503 : 500, n });
    const served: number[] = [];
    for (let item = queue.shift(); item; item = queue.shift()) served.push(item.n);
    const validations = served.filter((n) => n % 3 === 0);
    const others = served.filter((n) => n % 3 !== 0);
    assert.deepEqual(served, [...validations, ...others]);
    assert.deepEqual(validations, [...validations].sort((a, b) => a - b));
    assert.deepEqual(others, [...others].sort((a, b) => a - b));
  });

  it('reports full at its capacity and has-priority while a validation waits', () => {
    const queue = new ReceiveQueue<{ type: number }>(2, isValidation);
    assert.equal(queue.isFull, false);
    queue.push({ type: 500 });
    assert.equal(queue.hasPriority, false);
    queue.push({ type: 503 });
    assert.equal(queue.isFull, true);
    assert.equal(queue.hasPriority, true);
    queue.shift();
    assert.equal(queue.hasPriority, false);
    assert.equal(queue.isFull, false);
  });
});

describe('Fifo', () => {
  it('grows past its initial ring without losing order', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    for (let n = 0; n < 300; n++) {
      fifo.push(n);
      if (n % 3 === 0) out.push(fifo.shift()!);
    }
    for (let n = fifo.shift(); n !== undefined; n = fifo.shift()) out.push(n);
    assert.deepEqual(out, Array.from({ length: 300 }, (_, n) => n));
  });
});
