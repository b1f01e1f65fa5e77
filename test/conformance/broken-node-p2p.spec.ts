/**
 * The p2p group against broken nodes: each P2P bug (proof checks, proof order, gossip before
 * verification) fails its own case.
 */
import assert from 'node:assert/strict';
import { runSuite } from '../../conformance/suite.js';
import { BROKEN_NODE, explain, failedIds, options, silent } from '../support/conformance-runs.js';

describe('conformance suite', function () {
  this.timeout(120_000);

  it('catches each P2P bug of the broken node (proof checks, proof order, gossip before verification) in its own case', async () => {
    const run = await runSuite(
      options({
        spawn: BROKEN_NODE,
        groups: ['p2p'],
        // It has no peer exchange (§4.3), so the cases needing a PEER REQUEST from it are left out.
        only: [
          'p2p/1',
          'p2p/4.2',
          'p2p/4.4',
          ...[
            'proves-our-request',
            'wrong-nonce-closes',
            'too-few-zero-bits-closes',
            'replayed-nonce-closes',
            'no-proof-in-time-closes',
          ].map((slug) => `p2p/4.1/${slug}`),
        ],
        set: {
          ...options({}).set,
          broken_bugs: 'accepts-any-nonce,skips-proof-check,gossip-before-verification,solves-before-proof',
        },
      }),
      silent,
    );
    assert.deepEqual(
      failedIds(run.results),
      [
        'p2p/4.1/replayed-nonce-closes', // accepts-any-nonce
        'p2p/4.1/too-few-zero-bits-closes', // skips-proof-check
        'p2p/4.1/wrong-nonce-closes', // accepts-any-nonce
        'p2p/4.2/acceptor-waits-for-dialer-proof', // solves-before-proof
        'p2p/4.2/announce-before-verification-closes', // gossip-before-verification
      ],
      explain(run.results),
    );
    assert.equal(run.summary.skipped, 0, explain(run.results));
  });
});
