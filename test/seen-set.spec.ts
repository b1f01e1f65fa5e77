import assert from 'node:assert/strict';
import { SeenSet } from '../runtime/core/seen-set.js';
import { KnowledgeBase } from '../runtime/core/knowledge-base.js';
import { itemId, makeItem } from '../runtime/core/item.js';
import { createHash } from 'node:crypto';

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

describe('SeenSet', () => {
  it('reports a duplicate once an id was added', () => {
    const seen = new SeenSet(10);
    assert.equal(seen.add('a'), true);
    assert.equal(seen.add('a'), false);
  });

  it('forgets the oldest id beyond its capacity', () => {
    const seen = new SeenSet(3);
    for (const id of ['a', 'b', 'c', 'd']) seen.add(id);
    assert.equal(seen.size, 3);
    assert.equal(seen.has('a'), false);
    assert.equal(seen.has('d'), true);
  });
});

describe('KnowledgeBase', () => {
  it('keeps at most cache_size items, evicting the oldest first', () => {
    const evicted: string[] = [];
    const kb = new KnowledgeBase(2, (item) => evicted.push(Buffer.from(item.data).toString()));
    for (const text of ['one', 'two', 'three']) kb.add(makeItem(7, Buffer.from(text)));
    assert.equal(kb.size, 2);
    assert.deepEqual(evicted, ['one']);
    assert.equal(kb.has(makeItem(7, Buffer.from('three')).id), true);
  });
});

describe('SeenSet and KnowledgeBase under churn', () => {
  it('the seen-set keeps exactly the newest ids after many evictions', () => {
    const seen = new SeenSet(1000);
    for (let n = 0; n < 50_000; n++) seen.add(`id${n}`);
    assert.equal(seen.size, 1000);
    assert.equal(seen.has('id48999'), false);
    assert.equal(seen.has('id49000'), true);
    assert.equal(seen.add('id49999'), false);
  });

  it('the knowledge base evicts by age, skipping items deleted early, and stays bounded', () => {
    const evicted: string[] = [];
    const kb = new KnowledgeBase(3, (item) => evicted.push(Buffer.from(item.data).toString()));
    const items = ['a', 'b', 'c', 'd', 'e'].map((text) => makeItem(1, Buffer.from(text)));
    kb.add(items[0]!);
    kb.add(items[1]!);
    kb.add(items[2]!);
    kb.delete(items[0]!.id);
    kb.add(items[3]!); // room left by the deletion: nothing evicted
    kb.add(items[4]!); // now b is the oldest
    assert.deepEqual(evicted, ['b']);
    for (let n = 0; n < 10_000; n++) {
      const item = makeItem(2, Buffer.from(String(n)));
      kb.add(item);
      if (n % 2 === 0) kb.delete(item.id);
    }
    assert.ok(kb.size <= 3);
  });
});
