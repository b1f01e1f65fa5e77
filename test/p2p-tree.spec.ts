/**
 * The broadcast tree on loopback (docs/protocol.md §4.8), daemons in this process: it forms and
 * then carries each item once per node, and a killed eager parent is repaired over lazy links
 * (the tree's other rules: p2p-tree-rules.spec.ts).
 */
import assert from 'node:assert/strict';
import { distances, edges, round, treeEvents, type Round } from './support/tree-network.js';
import { TREE, TreeFixture } from './support/tree-fixture.js';

describe('broadcast tree on loopback (docs/protocol.md §4.8)', function () {
  this.timeout(120_000);
  const fixture = new TreeFixture();
  afterEach(() => fixture.close());

  it('forms a spanning tree and then carries every item exactly once to every node (no duplicates)', async function () {
    this.timeout(240_000);
    const daemons = await fixture.settledNetwork(12, { ...TREE, degree: 3 });
    // The tree is judged on a steady round that nothing but the tree's own rules shaped. A
    // link that forms starts eager (§4.8 item 1), and a pull (GRAFT) makes one eager: on a
    // loaded machine a late handshake can still add a link, and an eager path can fall behind
    // graft_timeout so that a node pulls. Either way the round does not show the settled
    // tree: warm up and look again. Duplicates with neither are the rule failing.
    const links = (): string => edges(daemons).map(String).sort().join(' ');
    const deadline = Date.now() + 120_000;
    let disturbed: string | null;
    let result: Round;
    // Each look announces new items: an item announced again is a duplicate by definition.
    let look = 0;
    do {
      const overlay = links();
      await fixture.warmUp(daemons);
      const grafts = await treeEvents(daemons, 'graft-id-sent');
      result = await round(daemons, fixture.crowd!, `steady ${look++}`, 30, () => Math.floor(Math.random() * 12));
      const pulled = (await treeEvents(daemons, 'graft-id-sent')) - grafts;
      disturbed = links() !== overlay ? 'the links changed' : pulled > 0 ? `${pulled} ids pulled by GRAFT` : null;
    } while (disturbed !== null && Date.now() < deadline);
    assert.equal(disturbed, null, `still disturbed after 120 s: ${disturbed}`);
    assert.equal(result.duplicates, 0, 'duplicates per node per item after warm-up');
    assert.deepEqual(result.received, Array<number>(12).fill(30));
    assert.deepEqual(result.twice, Array<number>(12).fill(0));
    const tree = edges(daemons, true);
    assert.equal(tree.length, 11, `eager at both ends: ${JSON.stringify(tree)} of ${edges(daemons).length} links`);
    assert.ok(
      distances(12, tree, 0).every((hops) => hops < Infinity),
      'the eager links connect every node',
    );
    assert.ok(edges(daemons).length > 11, 'the overlay has lazy links too');
  });

  it('repairs a killed eager parent through the lazy path: every item after the kill reaches every survivor', async () => {
    const daemons = await fixture.settledNetwork(12, { ...TREE, degree: 3 });
    await fixture.warmUp(daemons);
    const source = 1;
    // An eager neighbour of the source that passes items on, whose death leaves the overlay connected.
    const tree = edges(daemons, true);
    const overlay = edges(daemons);
    const victim = tree
      .flatMap(([a, b]) => (a === source ? [b] : b === source ? [a] : []))
      .find(
        (node) =>
          tree.filter(([a, b]) => a === node || b === node).length >= 2 &&
          distances(
            12,
            overlay.filter(([a, b]) => a !== node && b !== node),
            source,
          ).filter((hops) => hops < Infinity).length === 11,
      );
    if (victim === undefined) return void assert.fail(`no eager parent to kill in ${JSON.stringify(tree)}`);
    const graftsBefore = await treeEvents(daemons, 'graft-id-sent');
    fixture.crowd!.inboxes[victim] = null;
    await fixture.network!.kill(victim);
    const result = await round(daemons, fixture.crowd!, 'after the kill', 20, () => source, 50);
    assert.deepEqual(result.received, Array<number>(11).fill(20));
    assert.ok((await treeEvents(daemons, 'graft-id-sent')) > graftsBefore, 'pulled over lazy links (GRAFT)');
  });
});
