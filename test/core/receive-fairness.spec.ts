/**
 * Per-source fairness of the receive queue (docs/protocol.md §7.3): a source with a long
 * backlog does not delay another source's next frame by more than one turn; VALIDATION
 * still goes first; each source's own order is kept.
 */
import assert from 'node:assert/strict';
import { MessageType } from '../../generated/index.js';
import { ReceiveQueue } from '../../runtime/core/receive-queue.js';

interface Queued {
  readonly source: string;
  readonly n: number;
  readonly type: number;
}

describe('ReceiveQueue: per-source fairness (docs/protocol.md §7.3)', () => {
  const make = () =>
    new ReceiveQueue<Queued>(100_000, (item) => item.type === MessageType.GOSSIP_VALIDATION, Infinity, () => 1, (item) => item.source);

  it("serves another source's frame within one turn of a flooder's backlog", () => {
    const queue = make();
    for (let n = 0; n < 1_000; n++) queue.push({ source: 'flooder', n, type: MessageType.GOSSIP_ANNOUNCE });
    queue.push({ source: 'honest', n: 0, type: MessageType.GOSSIP_ANNOUNCE });
    const first = [queue.shift(), queue.shift()].map((item) => item!.source);
    assert.deepEqual(first, ['flooder', 'honest']);
    assert.equal(queue.length, 999);
    assert.equal(queue.bytes, 999);
  });

  it('serves VALIDATION first and keeps each source in order', () => {
    const queue = make();
    for (let n = 0; n < 5; n++) {
      queue.push({ source: 'a', n, type: MessageType.GOSSIP_ANNOUNCE });
      queue.push({ source: 'b', n, type: MessageType.GOSSIP_ANNOUNCE });
    }
    queue.push({ source: 'c', n: 0, type: MessageType.GOSSIP_VALIDATION });
    const served: Queued[] = [];
    for (let item = queue.shift(); item; item = queue.shift()) served.push(item);
    assert.equal(served[0]!.type, MessageType.GOSSIP_VALIDATION);
    for (const source of ['a', 'b']) {
      assert.deepEqual(served.filter((item) => item.source === source).map((item) => item.n), [0, 1, 2, 3, 4]);
    }
    assert.equal(queue.length, 0);
  });
});
