import assert from 'node:assert/strict';
import { makeItem } from '../../runtime/core/item.js';
import { KnowledgeBase } from '../../runtime/core/knowledge-base.js';

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

describe('KnowledgeBase under churn', () => {
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
