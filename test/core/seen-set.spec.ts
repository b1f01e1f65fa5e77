import assert from 'node:assert/strict';
import { SeenSet } from '../../runtime/core/seen-set.js';

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

describe('SeenSet under churn', () => {
  it('the seen-set keeps exactly the newest ids after many evictions', () => {
    const seen = new SeenSet(1000);
    for (let n = 0; n < 50_000; n++) seen.add(`id${n}`);
    assert.equal(seen.size, 1000);
    assert.equal(seen.has('id48999'), false);
    assert.equal(seen.has('id49000'), true);
    assert.equal(seen.add('id49999'), false);
  });
});
