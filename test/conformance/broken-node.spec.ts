/**
 * The suite against the deliberately broken node (broken/broken-node.ts) on 3 nodes: each bug
 * fails exactly its own cases, and with no bug switched on every one of those cases passes.
 */
import assert from 'node:assert/strict';
import { runSuite } from '../../conformance/suite.js';
import {
  BROKEN_NODE,
  explain,
  failedIds,
  options,
  PEER_PATH,
  silent,
  withStatus,
} from '../support/conformance-runs.js';

describe('conformance suite', function () {
  this.timeout(120_000);

  it('catches each bug of the broken node in its own case on 3 nodes, echo and split frames on ONE node only', async () => {
    // One run with every bug on: each must show up in exactly its cases, with no cascade.
    const everywhere = 'ignores-invalid,no-local-delivery,degree-as-fanout';
    const run = await runSuite(
      options({
        spawn: BROKEN_NODE,
        groups: ['api'],
        set: { broken_bugs: everywhere, validation_timeout: '1' },
        setNode: {
          0: { broken_bugs: `${everywhere},splits-frames` },
          1: { broken_bugs: `${everywhere},echo-to-announcer` },
        },
      }),
      silent,
    );
    assert.deepEqual(
      failedIds(run.results),
      [
        'api/1/frames-written-whole', // splits-frames, node 0 only
        'api/3.1/cross-node-delivery', // degree-as-fanout: node 0 pushes to one of its two leaves
        'api/3.1/invalid-stops-spreading', // ignores-invalid
        'api/3.1/local-delivery', // no-local-delivery: this case only, every other delivery is cross-node
        'api/3.1/no-echo-to-announcer', // echo-to-announcer, node 1 only
        'api/3.1/one-invalid-among-valid', // ignores-invalid
        'api/3.1/validation-lowest-bit-only', // ignores-invalid
      ],
      explain(run.results),
    );
    assert.deepEqual(withStatus(run.results, 'skip'), [PEER_PATH], explain(run.results));
    assert.equal(run.summary.blocked, 0, explain(run.results));
    assert.equal(run.exitCode, 1);
  });

  it('passes the broken node with no bug switched on (the failures above are the bugs)', async () => {
    const caught = [
      'api/1/frames-written-whole',
      'api/3.1/local-delivery',
      'api/3.1/no-echo-to-announcer',
      'api/3.1/invalid-stops-spreading',
      'api/3.1/one-invalid-among-valid',
      'api/3.1/validation-lowest-bit-only',
      'api/3.1/announce-without-subscription',
      'api/3.1/cross-node-delivery',
      'api/1/largest-frame',
      'p2p/4.1/replayed-nonce-closes',
      'p2p/4.1/too-few-zero-bits-closes',
      'p2p/4.1/wrong-nonce-closes',
      'p2p/4.2/acceptor-waits-for-dialer-proof',
      'p2p/4.2/announce-before-verification-closes',
    ];
    const run = await runSuite(options({ spawn: BROKEN_NODE, only: caught }), silent);
    assert.deepEqual(failedIds(run.results), [], explain(run.results));
    // The preconditions the chosen cases need run too.
    for (const id of caught)
      assert.ok(
        run.results.some((r) => r.id === id),
        id,
      );
  });
});
