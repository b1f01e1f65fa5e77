import assert from 'node:assert/strict';
import { Fifo } from '../../runtime/core/fifo.js';

describe('Fifo', () => {
  it('grows past its initial ring without losing order', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    for (let n = 0; n < 300; n++) {
      fifo.push(n);
      if (n % 3 === 0) out.push(fifo.shift()!);
    }
    for (let n = fifo.shift(); n !== undefined; n = fifo.shift()) out.push(n);
    assert.deepEqual(
      out,
      Array.from({ length: 300 }, (_, n) => n),
    );
  });
});
