/**
 * The two-hop precondition api/3.1/forward-after-valid against in-process fake nodes on the
 * line 1 - 0 - 2: it passes a hub that forwards every validated item, and fails one that
 * forwards only some, even when the first few all went through (as a hub pushing each item
 * to a random one of its links sometimes does; the two-hop cases after it then failed at
 * random instead of being BLOCKED).
 */
import assert from 'node:assert/strict';
import { runCases } from '../../conformance/runner.js';
import { chooseCases } from '../../conformance/suite.js';
import type { CaseResult } from '../../conformance/types.js';
import { options } from '../support/conformance-runs.js';
import { fakeGossipNetwork, type FakeGossipNode } from '../support/fake-gossip-network.js';

describe('conformance case api/3.1/forward-after-valid', () => {
  let nodes: FakeGossipNode[] = [];
  afterEach(() => nodes.forEach((n) => n.close()));

  const run = async (hubForwards: FakeGossipNode['forwards']): Promise<CaseResult> => {
    nodes = await fakeGossipNetwork(3, [
      [1, 0],
      [0, 2],
    ]);
    nodes[0]!.forwards = hubForwards;
    const results = await runCases({
      nodes: nodes.map((n) => n.info),
      settings: { ...options({}).settings, waitMs: 1_000, quietMs: 200 },
      spawnNode: null,
      cases: chooseCases(['api'], ['api/3.1/forward-after-valid']),
    });
    return results.find((r) => r.id === 'api/3.1/forward-after-valid')!;
  };

  it('passes a hub that forwards every item its subscribers called valid', async () => {
    const result = await run(() => true);
    assert.equal(result.outcome.status, 'pass', JSON.stringify(result.outcome));
  });

  it('fails a hub that forwards the first three items to node 2 and then only every other one', async () => {
    let forwarded = 0;
    const result = await run((_item, to, from) => {
      if (from === null || to.info.index !== 2) return true;
      const n = forwarded++;
      return n < 3 || n % 2 === 1;
    });
    assert.equal(result.outcome.status, 'fail', JSON.stringify(result.outcome));
    assert.match(JSON.stringify(result.outcome), /some but not all/);
  });
});
