/**
 * The api group against ONE node of our daemon (the suite acts as the other peers), and the
 * suite against nodes someone else started (--api, --p2p).
 */
import assert from 'node:assert/strict';
import { runSuite } from '../../conformance/suite.js';
import { formatResult } from '../../conformance/reporters.js';
import { spawnCluster } from '../../conformance/spawner.js';
import { formatEndpoint } from '../../runtime/api/api-client.js';
import {
  explain,
  FIRST_EDITION_API,
  OUR_DAEMON,
  options,
  ROOT,
  silent,
  withStatus,
} from '../support/conformance-runs.js';

describe('conformance suite', function () {
  this.timeout(120_000);

  it('runs the api group on ONE node of our daemon: local delivery, and suite peers for the two-hop rules', async () => {
    const run = await runSuite(options({ nodes: 1, groups: ['api'] }), silent);
    assert.equal(run.summary.failed + run.summary.blocked, 0, explain(run.results));
    const skipped = withStatus(run.results, 'skip');
    assert.deepEqual(
      skipped,
      ['api/3.1/cross-node-delivery', 'api/3.1/forward-after-valid', 'api/3.1/leaf-to-hub-delivery'],
      explain(run.results),
    );
    // At least 34 of the first edition's 42 api cases run on one node, even if every case added
    // since is among those that ran (40 do: only cross-node-delivery and forward-after-valid
    // need 2 or 3 nodes).
    const ran = run.results.filter((r) => r.outcome.status === 'pass' || r.outcome.status === 'fail').length;
    const addedSince = run.results.length - FIRST_EDITION_API;
    assert.ok(ran - addedSince >= 34, `${ran} of ${run.results.length} api cases ran on one node`);
    assert.equal(
      run.results.find((r) => r.id === 'api/3.1/ttl-2-two-hops')?.path,
      'suite peer → node 0 → suite peer (§4 links)',
    );
  });

  it('runs against nodes someone else started (--api, --p2p), skipping only what needs --spawn', async () => {
    const base = options({});
    const cluster = await spawnCluster({
      command: OUR_DAEMON,
      nodes: 3,
      set: base.set,
      hostkeyBits: 2048,
      startupTimeoutMs: 30_000,
      cwd: ROOT,
    });
    try {
      const only = [
        'api/3.1/forward-after-valid',
        'api/1/size-below-header',
        'p2p/4.2/handshake-completes',
        'p2p/4.3/bootstrap-dials-and-asks',
      ];
      const run = await runSuite(
        options({
          spawn: null,
          api: cluster.nodes.map((n) => formatEndpoint(n.api)),
          p2p: cluster.nodes.map((n) => formatEndpoint(n.p2p!)),
          only,
        }),
        silent,
      );
      // Preconditions first (forward-after-valid is one, and needs announce-without-subscription).
      assert.deepEqual(
        run.results.map((r) => `${r.id}=${r.outcome.status}`),
        [
          'api/3.1/announce-without-subscription=pass',
          'api/3.1/forward-after-valid=pass',
          'api/1/size-below-header=pass',
          'p2p/4.2/handshake-completes=pass',
          'p2p/4.3/bootstrap-dials-and-asks=skip',
        ],
        explain(run.results),
      );
      assert.match(formatResult(run.results[4]!), /run with --spawn/);
    } finally {
      await cluster.stop();
    }
  });
});
