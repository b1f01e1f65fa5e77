/**
 * The suite against a broken node that wedges on the largest frame: the case after which it
 * stopped answering is named, the node restarted, and the run goes on; on 3 nodes together
 * with closing announcers not subscribed to their type, each failing only its own case.
 */
import assert from 'node:assert/strict';
import { formatResult } from '../../conformance/reporters.js';
import { explain, failedIds, PEER_PATH, runBrokenApi, withStatus } from '../support/conformance-runs.js';

describe('conformance suite', function () {
  this.timeout(120_000);

  it('names the case after which a node stopped answering, restarts it, and goes on', async () => {
    const run = await runBrokenApi('wedges-on-largest-frame', 1);
    assert.deepEqual(failedIds(run.results), ['api/1/largest-frame'], explain(run.results));
    assert.match(
      formatResult(run.results.find((r) => r.id === 'api/1/largest-frame')!),
      /node 0 stopped answering[\s\S]*restarted node 0/,
    );
    assert.equal(run.summary.blocked, 0, explain(run.results));
  });

  it('on 3 nodes, wedging and closing unsubscribed announcers fail their own cases only; the wedged leaf is restarted', async () => {
    const run = await runBrokenApi('closes-unsubscribed-announcer,wedges-on-largest-frame');
    assert.deepEqual(
      failedIds(run.results),
      ['api/1/largest-frame', 'api/3.1/announce-without-subscription'],
      explain(run.results),
    );
    assert.match(
      formatResult(run.results.find((r) => r.id === 'api/1/largest-frame')!),
      /node \d stopped answering[\s\S]*restarted node \d/,
    );
    assert.deepEqual(withStatus(run.results, 'skip'), [PEER_PATH], explain(run.results));
    assert.equal(run.summary.blocked, 0, explain(run.results));
  });
});
