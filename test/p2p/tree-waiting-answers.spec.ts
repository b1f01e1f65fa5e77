import assert from 'node:assert/strict';
import type { Connection } from '../../runtime/core/connection.js';
import { MAX_WAITING_ANSWERS, RETRY_MS, WaitingAnswers } from '../../runtime/p2p/tree/waiting-answers.js';
import { FakeClock } from '../support/fake-clock.js';

/** A link whose send queue holds `maxBytes`; `drain()` empties it, as the socket would. */
class LinkWithQueue {
  readonly sent: string[] = [];
  readonly sendQueue = { pendingBytes: 0, maxBytes: 0 };

  constructor(maxBytes: number) {
    this.sendQueue.maxBytes = maxBytes;
  }

  hasRoomFor(bytes: number): boolean {
    return this.sendQueue.pendingBytes + bytes <= this.sendQueue.maxBytes;
  }

  send(frame: Uint8Array): boolean {
    if (!this.hasRoomFor(frame.length)) return false;
    this.sendQueue.pendingBytes += frame.length;
    this.sent.push(Buffer.from(frame).toString());
    return true;
  }

  drain(): void {
    this.sendQueue.pendingBytes = 0;
  }

  get connection(): Connection {
    return this as unknown as Connection;
  }
}

describe('GRAFT answers waiting for room (docs/protocol.md §4.8 item 5)', () => {
  const FRAME = 10;
  let clock: FakeClock;
  let servable: Set<string>;
  let counts: { sent: number; waited: number; dropped: number };
  let answers: WaitingAnswers;

  beforeEach(() => {
    clock = new FakeClock();
    servable = new Set(['a', 'b', 'c', 'd', 'e']);
    counts = { sent: 0, waited: 0, dropped: 0 };
    answers = new WaitingAnswers(clock, {
      // Each answer is a 10-byte frame naming its id.
      frameOf: (id) => (servable.has(id) ? Buffer.from(id.padEnd(FRAME, '.')) : undefined),
      sent: (_link, count) => (counts.sent += count),
      waited: (_link, count) => (counts.waited += count),
      dropped: (_link, count) => (counts.dropped += count),
    });
  });

  afterEach(() => answers.close());

  it('answers at once when the send queue has room, and keeps no timer', () => {
    const link = new LinkWithQueue(1_000);
    answers.answer(link.connection, ['a', 'b', 'c']);
    assert.deepEqual(
      link.sent.map((frame) => frame[0]),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(counts, { sent: 3, waited: 0, dropped: 0 });
    assert.equal(answers.size, 0);
    assert.equal(clock.armed, 0);
  });

  it('answers that find no room wait, in order, and go out as the queue drains', () => {
    const link = new LinkWithQueue(2 * FRAME);
    answers.answer(link.connection, ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(
      link.sent.map((frame) => frame[0]),
      ['a', 'b'],
    );
    assert.deepEqual(counts, { sent: 2, waited: 3, dropped: 0 });
    clock.advance(RETRY_MS); // nothing drained yet: still waiting
    assert.equal(link.sent.length, 2);
    link.drain();
    clock.advance(RETRY_MS);
    assert.deepEqual(
      link.sent.map((frame) => frame[0]),
      ['a', 'b', 'c', 'd'],
    );
    link.drain();
    clock.advance(RETRY_MS);
    assert.deepEqual(
      link.sent.map((frame) => frame[0]),
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.equal(counts.sent, 5);
    assert.equal(answers.size, 0);
    clock.advance(10 * RETRY_MS);
    assert.equal(clock.armed, 0, 'the retry timer stops once nothing waits');
  });

  it('a waiting answer whose id is no longer servable is skipped, not sent', () => {
    const link = new LinkWithQueue(FRAME);
    answers.answer(link.connection, ['a', 'b', 'c']);
    servable.delete('b');
    link.drain();
    clock.advance(RETRY_MS);
    link.drain();
    clock.advance(RETRY_MS);
    assert.deepEqual(
      link.sent.map((frame) => frame[0]),
      ['a', 'c'],
    );
  });

  it(`at most ${MAX_WAITING_ANSWERS} answers wait per link; more are dropped and counted`, () => {
    const link = new LinkWithQueue(0);
    answers.answer(link.connection, Array<string>(MAX_WAITING_ANSWERS + 7).fill('a'));
    assert.equal(answers.size, MAX_WAITING_ANSWERS);
    assert.equal(counts.dropped, 7);
  });

  it('a closed link has nothing waiting any more', () => {
    const link = new LinkWithQueue(0);
    answers.answer(link.connection, ['a', 'b']);
    answers.linkClosed(link.connection);
    assert.equal(answers.size, 0);
    link.sendQueue.maxBytes = 1_000;
    clock.advance(RETRY_MS);
    assert.equal(link.sent.length, 0);
  });
});
