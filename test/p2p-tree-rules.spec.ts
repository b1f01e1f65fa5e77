/**
 * The broadcast tree's rules on loopback (docs/protocol.md §4.8), daemons in this process: an
 * item called invalid is never announced lazily, ttl keeps its meaning (§4.4) in both modes,
 * and a peer that announces and never serves neither stops delivery nor goes uncounted.
 */
import assert from 'node:assert/strict';
import { GossipIhave, MessageType } from '../generated/index.js';
import { ApiClient } from '../runtime/api/api-client.js';
import { makeItem } from '../runtime/core/item.js';
import type { Daemon } from '../runtime/daemon.js';
import { idToBytes } from '../runtime/p2p/tree/item-ids.js';
import { metricTotal, sleep, startNetwork, waitFor } from './support/network.js';
import { SuitePeer } from '../conformance/peer.js';
import { apiOf, subscribe } from './support/subscribers.js';
import { audience, DATA_TYPE, distances, edges, treeEvents } from './support/tree-network.js';
import { TREE, TreeFixture } from './support/tree-fixture.js';

describe('broadcast tree rules on loopback (docs/protocol.md §4.8)', function () {
  this.timeout(120_000);
  const fixture = new TreeFixture();
  afterEach(() => fixture.close());

  it('never announces lazily an item its local module called invalid (§3.1)', async () => {
    const daemons = await fixture.settledNetwork(6, { ...TREE, degree: 2 });
    await fixture.warmUp(daemons);
    const judge = daemons.findIndex((d) => d!.overlay.dissemination.linkCounts().lazy > 0);
    assert.ok(judge >= 0, 'a node with a lazy link');
    const REJECTED = DATA_TYPE + 1;
    for (const [index, daemon] of daemons.entries())
      fixture.clients.push((await subscribe(daemon, REJECTED, index !== judge)).client);
    const ihaves = () => sentOfType(daemons[judge]!, MessageType.GOSSIP_IHAVE);
    const before = await ihaves();
    const source = judge === 0 ? 1 : 0;
    fixture.crowd!.announcers[source]!.announce({
      ttl: 0,
      dataType: REJECTED,
      data: Buffer.from('rejected at the judge'),
    });
    await waitFor(
      'the judge to call it invalid',
      async () => (await metricTotal(daemons[judge]!.metrics.itemsInvalid)) === 1,
    );
    await sleep(500); // ten times lazy_push_delay
    assert.equal(await ihaves(), before, 'no IHAVE from the node that called it invalid');
    assert.equal(await treeEvents([daemons[judge]!], 'graft-id-served'), 0);
  });

  for (const mode of ['tree', 'flood'] as const) {
    it(`${mode}: ttl > 0 reaches exactly the nodes within ttl hops, on a line and on a random overlay (§4.4)`, async () => {
      // A line of 5: ttl 2 from node 0 reaches nodes 1 and 2 only.
      const line = await startNetwork({
        nodes: 5,
        config: { ...TREE, dissemination: mode, degree: 1 },
        bootstrapOf: (i) => (i === 0 ? null : i - 1),
      });
      fixture.network = line;
      await waitFor('the line', () =>
        line.daemons.every((d, i) => d!.overlay.activeLinks.length === (i % 4 === 0 ? 1 : 2)),
      );
      fixture.crowd = await audience(line.daemons, DATA_TYPE);
      await reachExactly(line.daemons, 0, 2, 'on the line');
      fixture.crowd.close();
      await line.close();
      // A random overlay of 10, the tree settled first, so lazy links exist in tree mode.
      const daemons = await fixture.settledNetwork(10, { ...TREE, dissemination: mode, degree: 2 });
      if (mode === 'tree') await fixture.warmUp(daemons);
      for (const ttl of [1, 2]) await reachExactly(daemons, 3, ttl, `ttl ${ttl} on a random overlay`);
    });
  }

  /** Announces a ttl item at `source` and checks it reached exactly the nodes within `ttl` hops. */
  async function reachExactly(daemons: (Daemon | null)[], source: number, ttl: number, label: string): Promise<void> {
    const hops = distances(daemons.length, edges(daemons), source);
    const text = `${label} (ttl ${ttl})`;
    fixture.crowd!.announcers[source]!.announce({ ttl, dataType: DATA_TYPE, data: Buffer.from(text) });
    const got = () => fixture.crowd!.inboxes.map((inbox) => inbox!.some((b) => b.toString() === text));
    const expected = hops.map((h) => h <= ttl);
    await waitFor(`${label}: every node within ${ttl} hops`, () => got().every((has, i) => has || !expected[i]));
    await sleep(500); // room for a copy that should not come
    assert.deepEqual(got(), expected, `${label}: hops ${JSON.stringify(hops)}`);
  }

  it('a peer that announces ids and never serves does not stop delivery, and counts against it (§4.8 item 7)', async () => {
    const started = await startNetwork({ nodes: 2, config: { ...TREE, degree: 1, graftTimeoutMs: 300 } });
    fixture.network = started;
    const [holder, puller] = [started.daemons[0]!, started.daemons[1]!];
    await waitFor('the two nodes linked', () => puller.overlay.activeLinks.length === 1);
    const silent = await SuitePeer.connect(
      { host: puller.p2p.address, port: puller.p2p.port },
      { powDifficulty: 6, waitMs: 5_000 },
      '127.0.3.1',
    );
    fixture.peers.push(silent);
    assert.equal(await silent.handshake(40_301), null, 'the silent peer verified');
    await waitFor('the silent peer active', () => puller.overlay.activeLinks.length === 2);
    const { client, received } = await subscribe(puller, DATA_TYPE);
    fixture.clients.push(client);
    // The holder's end of its link to the puller is made lazy, so the item reaches the puller
    // only by a pull; the silent peer announces it first, so it is asked first.
    const holderLink = holder.overlay.activeLinks[0]!.connection;
    holder.overlay.dissemination.prune(holderLink);
    const data = Buffer.from('pulled past a silent announcer');
    const id = makeItem(DATA_TYPE, data).id;
    silent.send('IHAVE', GossipIhave.encode({ ids: [{ id: idToBytes(id) }] }));
    const announcer = await ApiClient.connect(apiOf(holder));
    fixture.clients.push(announcer);
    await waitFor('the IHAVE handled', async () => (await treeEvents([puller], 'ihave-id-received')) === 1);
    announcer.announce({ ttl: 0, dataType: DATA_TYPE, data });
    const graft = await silent.receive(MessageType.GOSSIP_GRAFT);
    assert.deepEqual(
      graft.ids.map((entry) => Buffer.from(entry.id).toString('latin1')),
      [id],
    );
    await waitFor('the item at the puller, from the holder', () => received.some((b) => b.equals(data)), 5_000);
    assert.equal(await treeEvents([puller], 'graft-unserved'), 1);
    // Nine more unserved GRAFTs make ten in a row: the silent peer is disconnected. Each IHAVE
    // waits for the GRAFT of the one before, so that no two share a GRAFT.
    for (let n = 0; n < 9; n++) {
      silent.send(
        'IHAVE',
        GossipIhave.encode({ ids: [{ id: idToBytes(makeItem(DATA_TYPE, Buffer.from(`fake ${n}`)).id) }] }),
      );
      await silent.receive(MessageType.GOSSIP_GRAFT);
    }
    assert.equal(await silent.socket.waitClosed(5_000), true, 'closed after 10 unserved GRAFTs');
    assert.equal(puller.overlay.activeLinks.length, 1, 'the honest link stays');
  });
});

/** Frames of `type` the node has sent on P2P. */
async function sentOfType(daemon: Daemon, type: number): Promise<number> {
  const values = (await daemon.metrics.framesSent.get()).values;
  return values
    .filter((v) => v.labels.server === 'p2p' && v.labels.type === String(type))
    .reduce((s, v) => s + v.value, 0);
}
