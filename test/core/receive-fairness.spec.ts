/**
 * Per-source fairness of the receive queue (docs/protocol.md §7.3): a source with a long
 * backlog does not delay another source's next frame by more than one turn; VALIDATION
 * still goes first, but alternates with the other frames while they wait; each source's own
 * order is kept.
 */
import assert from 'node:assert/strict';
import { MessageType } from '../../generated/index.js';
import { ReceivePump, type PumpSource } from '../../runtime/core/receive-pump.js';
import { ReceiveQueue } from '../../runtime/core/receive-queue.js';
import { waitFor } from '../support/wait-for.js';

interface Queued {
  readonly source: string;
  readonly n: number;
  readonly type: number;
}

describe('ReceiveQueue: per-source fairness (docs/protocol.md §7.3)', () => {
  const make = () =>
    new ReceiveQueue<Queued>(
      100_000,
      (item) => item.type === MessageType.GOSSIP_VALIDATION,
      Infinity,
      () => 1,
      (item) => item.source,
    );

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
      assert.deepEqual(
        served.filter((item) => item.source === source).map((item) => item.n),
        [0, 1, 2, 3, 4],
      );
    }
    assert.equal(queue.length, 0);
  });
});

describe('ReceivePump: fair across Servers (docs/protocol.md §7.3)', () => {
  /**
   * A Server stand-in with `frames` frames waiting, the first `priority` of them priority
   * frames (VALIDATION); records the order they are handled in, as `name` or `name!`.
   */
  function source(name: string, frames: number, handled: string[], priority = 0): PumpSource {
    const waiting = { priority, normal: frames - priority };
    return {
      receiveQueue: {
        get hasPriority() {
          return waiting.priority > 0;
        },
        get hasNormal() {
          return waiting.normal > 0;
        },
      },
      handleNext(priorityFirst) {
        const takePriority = waiting.priority > 0 && (priorityFirst || waiting.normal === 0);
        if (takePriority) waiting.priority--;
        else if (waiting.normal > 0) waiting.normal--;
        else return false;
        handled.push(takePriority ? `${name}!` : name);
        return true;
      },
      resumeWhereRoom() {},
    };
  }

  async function drained(pump: ReceivePump, handled: string[], total: number): Promise<void> {
    pump.wake();
    await waitFor(() => handled.length === total, `${total} frames handled`);
  }

  it('does not let a full API queue hold back the P2P queue', async () => {
    const handled: string[] = [];
    const pump = new ReceivePump();
    pump.add(source('api', 1_000, handled));
    pump.add(source('p2p', 3, handled));
    await drained(pump, handled, 1_003);
    assert.deepEqual(handled.slice(0, 6), ['api', 'p2p', 'api', 'p2p', 'api', 'p2p']);
  });

  it('serves a priority frame first, but a burst of them alternates with the other frames', async () => {
    const handled: string[] = [];
    const pump = new ReceivePump();
    pump.add(source('api', 1_001, handled, 1_000)); // a subscriber's 1,000 VALIDATIONs, one ANNOUNCE
    pump.add(source('p2p', 3, handled));
    await drained(pump, handled, 1_004);
    assert.deepEqual(handled.slice(0, 9), ['api!', 'api', 'api!', 'p2p', 'api!', 'p2p', 'api!', 'p2p', 'api!']);
    assert.ok(handled.slice(9).every((frame) => frame === 'api!'));
  });
});
