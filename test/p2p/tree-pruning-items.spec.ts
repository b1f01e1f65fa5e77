/**
 * Which duplicates may prune (runtime/p2p/tree/pruning-items.ts, docs/protocol.md §4.8 item 5):
 * every item while items reach a node one at a time; a share that shrinks as more items are in
 * flight at once, the same ids at every node that sees the same traffic.
 */
import assert from 'node:assert/strict';
import { CONCURRENCY_WEIGHT, PruningItems } from '../../runtime/p2p/tree/pruning-items.js';

/** An id whose first two bytes put it at `position` in [0, 1). */
const idAt = (position: number, tag: number): string => {
  const top = Math.floor(position * 65_536);
  return String.fromCharCode(top >> 8, top & 0xff) + `-${tag}`;
};

/** Items arriving `overlap` at a time: each one's duplicate comes after the next `overlap` others. */
function traffic(pruning: PruningItems, overlap: number, items: number): void {
  const ids = Array.from({ length: items }, (_, n) => idAt(0.999, n));
  for (let n = 0; n < items; n++) {
    pruning.arrived(ids[n]!);
    if (n >= overlap) pruning.duplicate(ids[n - overlap]!);
  }
}

describe('pruning items (docs/protocol.md §4.8 item 5)', () => {
  it('lets every duplicate prune while items arrive one at a time', () => {
    const pruning = new PruningItems();
    traffic(pruning, 0, 200);
    assert.equal(pruning.share, 1);
    assert.equal(pruning.duplicate(idAt(0.999, 999)), true);
  });

  it(`keeps about 1 / (1 + ${CONCURRENCY_WEIGHT}c) of the ids when c other items arrive between a first copy and its duplicate`, () => {
    const pruning = new PruningItems();
    traffic(pruning, 5, 400);
    const expected = 1 / (1 + CONCURRENCY_WEIGHT * 5);
    assert.ok(Math.abs(pruning.share - expected) < 0.01, `share ${pruning.share}, expected ≈ ${expected}`);
    assert.equal(pruning.duplicate(idAt(expected / 2, 1)), true, 'an id low enough prunes');
    assert.equal(pruning.duplicate(idAt(0.5, 2)), false, 'one above the share does not');
  });

  it('judges an id the same at two nodes that see the same traffic in another order', () => {
    const [a, b] = [new PruningItems(), new PruningItems()];
    traffic(a, 3, 300);
    traffic(b, 3, 300);
    for (let n = 0; n < 100; n++) {
      const id = idAt(n / 100, n);
      assert.equal(a.duplicate(id), b.duplicate(id), `id at ${n / 100}`);
    }
  });

  it('counts an item once, however often its first copy is reported', () => {
    const pruning = new PruningItems();
    pruning.arrived('x');
    pruning.arrived('x');
    pruning.arrived('y');
    pruning.duplicate('x');
    assert.ok(Math.abs(pruning.share - 1 / (1 + CONCURRENCY_WEIGHT * 0.05)) < 1e-9);
  });
});
