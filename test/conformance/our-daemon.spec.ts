/**
 * The whole conformance suite against our daemon on 3 nodes: every api and p2p case passes.
 */
import assert from 'node:assert/strict';
import { runSuite } from '../../conformance/suite.js';
import { allCases } from '../../conformance/cases/index.js';
import { explain, options, PEER_PATH, silent, withStatus } from '../support/conformance-runs.js';

describe('conformance suite', function () {
  this.timeout(120_000);

  it('passes every api and p2p case against our daemon on 3 nodes, skipping only the one-node peer path', async () => {
    const run = await runSuite(options({}), silent);
    assert.deepEqual(withStatus(run.results, 'skip'), [PEER_PATH], explain(run.results));
    assert.equal(run.summary.failed + run.summary.blocked, 0, explain(run.results));
    assert.equal(run.exitCode, 0);
    assert.equal(run.results.length, allCases.length);
    const paths = new Set(run.results.map((r) => r.path).filter(Boolean));
    assert.ok(
      paths.has('leaf → node 0 (node 1 → node 0)') &&
        paths.has('leaf → leaf through node 0 (node 1 → node 0 → node 2)'),
      [...paths].join(', '),
    );
  });
});
