/**
 * The suite against ONE broken node: the bugs one node can show, each in its own cases, a node
 * without local delivery (what needs a delivery is BLOCKED by that case) and a node that
 * closes unsubscribed announcers (every other rule still checked).
 */
import assert from 'node:assert/strict';
import { formatResult } from '../../conformance/reporters.js';
import { explain, failedIds, runBrokenApi } from '../support/conformance-runs.js';

describe('conformance suite', function () {
  this.timeout(120_000);

  it('catches the bugs one node can show on ONE node, in their own cases', async () => {
    const run = await runBrokenApi('echo-to-announcer,splits-frames,ignores-invalid,degree-as-fanout', 1);
    assert.deepEqual(
      failedIds(run.results),
      [
        'api/1/frames-written-whole',
        'api/3.1/invalid-stops-spreading',
        'api/3.1/no-echo-to-announcer',
        'api/3.1/one-invalid-among-valid',
        'api/3.1/validation-lowest-bit-only',
      ],
      explain(run.results),
    );
    assert.equal(run.summary.blocked, 0, explain(run.results));
  });

  it('reports no local delivery in local-delivery only: on ONE node every case that needs a delivery is BLOCKED by it', async () => {
    const run = await runBrokenApi('no-local-delivery', 1);
    assert.deepEqual(failedIds(run.results), ['api/3.1/local-delivery'], explain(run.results));
    const blocked = run.results.filter((r) => r.outcome.status === 'blocked');
    assert.ok(blocked.length > 0, 'the cases observing a delivery are BLOCKED, not run');
    for (const result of blocked)
      assert.equal(result.outcome.status === 'blocked' && result.outcome.by, 'api/3.1/local-delivery', result.id);
    // The cases that need no delivery (bad input, refused types) and the two-hop rules over
    // suite peers still run and pass.
    assert.ok(run.summary.passed >= 30, explain(run.results));
  });

  it('reports a node that closes unsubscribed announcers in that case only, and checks every other rule by subscribing announcers first', async () => {
    const run = await runBrokenApi('closes-unsubscribed-announcer', 1);
    assert.deepEqual(failedIds(run.results), ['api/3.1/announce-without-subscription'], explain(run.results));
    assert.equal(run.summary.blocked, 0, explain(run.results));
    assert.match(
      formatResult(run.results.find((r) => r.id === 'api/3.1/announce-without-subscription')!),
      /closed the announcing connection \d+ ms after the ANNOUNCE/,
    );
  });
});
