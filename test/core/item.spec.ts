import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { itemId, makeItem, withOwnData } from '../../runtime/core/item.js';

describe('item identity (docs/protocol.md §4.4)', () => {
  it('is the first 8 bytes of SHA-256(data_type:u16 ‖ data)', () => {
    const data = Buffer.from('deadbeef', 'hex');
    const expected = createHash('sha256').update(Buffer.from('0539deadbeef', 'hex')).digest().subarray(0, 8);
    assert.equal(Buffer.from(itemId(1337, data), 'latin1').toString('hex'), expected.toString('hex'));
  });

  it('differs when only the data type differs', () => {
    assert.notEqual(itemId(1, Buffer.from('x')), itemId(2, Buffer.from('x')));
  });
});

describe('an item kept (docs/protocol.md §7.2)', () => {
  const readChunk = Buffer.alloc(64 * 1024, 7);
  const received = makeItem(9, readChunk.subarray(1000, 1064));

  it('copies its data out of the read chunk, holding at most a pool slab, not the chunk', () => {
    const kept = withOwnData(received);
    assert.deepEqual(Buffer.from(kept.data), Buffer.alloc(64, 7));
    assert.equal(kept.id, received.id);
    assert.ok(kept.data.buffer.byteLength <= 8 * 1024, `holds ${kept.data.buffer.byteLength} bytes`);
    readChunk.fill(0); // the socket's chunk is reused: the kept copy must not change
    assert.deepEqual(Buffer.from(kept.data), Buffer.alloc(64, 7));
  });

  it('large data gets memory of its own, exactly its size', () => {
    const large = withOwnData(makeItem(9, Buffer.alloc(60_000, 1)));
    assert.equal(large.data.buffer.byteLength, 60_000);
  });
});
