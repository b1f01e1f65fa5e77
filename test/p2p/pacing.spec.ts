/**
 * Pacing of dials and peer exchange (docs/protocol.md §4.5), driven by a fake clock.
 */
import assert from 'node:assert/strict';
import { DIAL_BACKOFF_CAP_MS, DialBackoff, DialBudget } from '../../runtime/p2p/dial-pacing.js';
import { AskBackoff, incomingRequestProblem, maySendRequest } from '../../runtime/p2p/request-pacing.js';
import { FakeClock } from '../support/fake-clock.js';

/** ms until `key` is ready again, to 10 ms. */
function waitOf(clock: FakeClock, backoff: DialBackoff, key: string): number {
  let waited = 0;
  while (!backoff.isReady(key)) {
    clock.advance(10);
    waited += 10;
  }
  return waited;
}

describe('dial pacing (docs/protocol.md §4.5)', () => {
  it('backs off per address: 1 s, x2, capped at 60 s, within ±50 % jitter', () => {
    const clock = new FakeClock();
    for (const jitter of [0, 0.5, 0.999]) {
      const backoff = new DialBackoff(clock, () => jitter);
      const factor = 0.5 + jitter;
      let expected = 1_000;
      for (let failure = 0; failure < 9; failure++) {
        backoff.failed('a');
        const wait = waitOf(clock, backoff, 'a');
        assert.ok(
          Math.abs(wait - expected * factor) <= 10,
          `failure ${failure}: waited ${wait}, expected ${expected * factor}`,
        );
        expected = Math.min(expected * 2, DIAL_BACKOFF_CAP_MS);
      }
      assert.equal(backoff.isReady('b'), true, 'other addresses are not affected');
      backoff.succeeded('a');
      backoff.failed('a');
      assert.ok(Math.abs(waitOf(clock, backoff, 'a') - 1_000 * factor) <= 10, 'a stable link resets to the base');
    }
  });

  it('dials at most 4 times per second in all (token bucket)', () => {
    const clock = new FakeClock();
    const budget = new DialBudget(clock);
    let dials = 0;
    for (let ms = 0; ms < 10_000; ms += 5) {
      while (budget.take()) dials++;
      clock.advance(5);
    }
    assert.ok(dials <= 4 + 40, `${dials} dials in 10 s`);
    assert.ok(dials >= 40, `${dials} dials in 10 s: the budget refills`);
  });
});

describe('peer exchange rate (docs/protocol.md §4.5)', () => {
  const INTERVAL = 60_000;

  it('allows the first PEER REQUEST on a link, then one per 0.9 x interval', () => {
    assert.equal(incomingRequestProblem(null, 0, INTERVAL), null);
    assert.match(incomingRequestProblem(0, 1_000, INTERVAL) ?? '', /sooner than peer_request_interval/);
    assert.match(incomingRequestProblem(0, 53_999, INTERVAL) ?? '', /sooner/);
    assert.equal(incomingRequestProblem(0, 54_000, INTERVAL), null);
  });

  it('sends at most one PEER REQUEST per link per interval', () => {
    assert.equal(maySendRequest(null, 0, INTERVAL), true);
    assert.equal(maySendRequest(0, 59_999, INTERVAL), false);
    assert.equal(maySendRequest(0, 60_000, INTERVAL), true);
  });

  it('asks with exponential back-off while answers bring nothing new, capped at 16 x interval, reset on news', () => {
    const clock = new FakeClock();
    const asking = new AskBackoff(clock, INTERVAL);
    const asks: number[] = [];
    const start = clock.now();
    for (let s = 0; s < 3 * 3_600; s++) {
      if (asking.isDue()) {
        asking.asked();
        asks.push((clock.now() - start) / 1000);
        asking.answered(0);
        asking.answered(0); // a second answer to the same ask doubles nothing more
      }
      clock.advance(1_000);
    }
    assert.deepEqual(asks.slice(0, 6), [0, 120, 360, 840, 1_800, 2_760]);
    assert.equal(asks[6]! - asks[5]!, 960, 'capped at 16 intervals');
    while (!asking.isDue()) clock.advance(1_000);
    asking.asked();
    asking.answered(3);
    clock.advance(INTERVAL - 1);
    assert.equal(asking.isDue(), false);
    clock.advance(1);
    assert.equal(asking.isDue(), true, 'one interval after an answer with new candidates');
    asking.asked();
    asking.answered(0);
    assert.equal(asking.currentWaitMs, 2 * INTERVAL);
    asking.reset();
    assert.equal(asking.currentWaitMs, INTERVAL, 'a lost link resets the wait');
    for (let n = 0; n < 3; n++) asking.asked(); // three new links asked at once, none of them knew anybody new
    for (let n = 0; n < 3; n++) asking.answered(0);
    assert.equal(asking.currentWaitMs, 8 * INTERVAL, 'each answer with nothing new doubles the wait');
  });
});
