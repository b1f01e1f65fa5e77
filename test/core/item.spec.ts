import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { itemId } from '../../runtime/core/item.js';

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
