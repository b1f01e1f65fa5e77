/**
 * The whole conformance suite against our daemon on 3 nodes with dissemination = tree
 * (docs/protocol.md §4.8): every api and p2p case passes there too.
 */
import assert from 'node:assert/strict';
import { allCases } from '../../conformance/cases/index.js';
import { runSuite } from '../../conformance/suite.js';
import { explain, options, PEER_PATH, silent, withStatus } from '../support/conformance-runs.js';

describe('conformance suite', function () {
  this.timeout(120_000);

  it('passes them all with dissemination = tree as well (docs/protocol.md §4.8), skipping only the one-node peer path', async () => {
    const run = await runSuite(options({ set: { ...options({}).set, dissemination: 'tree' } }), silent);
    assert.deepEqual(withStatus(run.results, 'skip'), [PEER_PATH], explain(run.results));
    assert.equal(run.summary.failed + run.summary.blocked, 0, explain(run.results));
    assert.equal(run.results.length, allCases.length);
  });
});
