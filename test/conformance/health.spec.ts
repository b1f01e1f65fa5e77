/**
 * The suite's check between cases (conformance/health.ts) against two in-process fake nodes,
 * a hub (node 0) and a leaf (node 1) whose link the test can cut: a probe counts only when the
 * item it announced arrives, and no two probes share a data type (so that neither sees the
 * other's items).
 */
import assert from 'node:assert/strict';
import { NodeHealth } from '../../conformance/health.js';
import type { FactState } from '../../conformance/runner.js';
import type { Fact } from '../../conformance/types.js';
import { GossipNotification } from '../../runtime/entry/codec.js';
import { fakeGossipNetwork, type FakeGossipNode } from '../support/fake-gossip-network.js';

/** How long a probe waits for its item. */
const PROBE_WAIT_MS = 400;

describe('conformance node health check', () => {
  const shown: FactState = { ok: true, by: 'x', reason: '' };
  const leafToHubShown = new Map<Fact, FactState>([['path:leaf-to-hub', shown]]);
  let nodes: FakeGossipNode[] = [];
  afterEach(() => nodes.forEach((n) => n.close()));
  const hubAndLeaf = async (): Promise<NodeHealth> => {
    nodes = await fakeGossipNetwork(2, [[0, 1]]);
    return new NodeHealth(
      nodes.map((n) => n.info),
      PROBE_WAIT_MS,
      null,
    );
  };

  it('reports a leaf whose link to node 0 died although an item it did not announce, of its type, reached node 0', async () => {
    const health = await hubAndLeaf();
    assert.deepEqual(await health.check(leafToHubShown), [], 'link up: nothing to report');

    nodes[1]!.forwards = () => false;
    // A node that forwards a local item once its own subscriber validated it sends another
    // node's probe on only after that probe ended: it reaches node 0's next probe subscriber.
    nodes[0]!.onSubscribe = (connection, dataType) =>
      connection.write(GossipNotification.encode({ messageId: 1, dataType, data: Buffer.from('an earlier probe') }));
    const found = await health.check(leafToHubShown);
    assert.deepEqual(
      found.map((p) => p.index),
      [1],
    );
    assert.match(found[0]!.what, /not delivered to node 0/);
  });

  it('gives every probe round trip a data type of its own, outside the range cases use', async () => {
    const health = await hubAndLeaf();
    const leafToHubAndLocal = new Map(leafToHubShown).set('path:local', shown);
    assert.deepEqual(await health.check(leafToHubAndLocal), []);
    assert.deepEqual(await health.check(leafToHubAndLocal), []);
    // Per check: a local round trip on each node, then leaf → node 0; each subscribes twice (subscriber, announcer).
    const types = [...nodes[0]!.subscribed, ...nodes[1]!.subscribed];
    assert.equal(types.length, 2 * 3 * 2, types.join(' '));
    assert.equal(new Set(types).size, 2 * 3, types.join(' '));
    assert.ok(
      types.every((t) => t >= 61_000 && t < 65_000),
      types.join(' '),
    );
  });
});
