/**
 * The broadcast tree on loopback (docs/protocol.md §4.8), daemons in this process: it forms and
 * then carries each item once per node, a killed eager parent is repaired over lazy links, an
 * item called invalid is never announced lazily, ttl keeps its meaning (§4.4) in both modes,
 * and a peer that announces and never serves neither stops delivery nor goes uncounted.
 */
import assert from 'node:assert/strict';
import { GossipIhave, MessageType } from '../generated/index.js';
import { ApiClient } from '../runtime/api/api-client.js';
import type { GossipConfig } from '../runtime/config.js';
import { makeItem } from '../runtime/core/item.js';
import type { Daemon } from '../runtime/daemon.js';
import { idToBytes } from '../runtime/p2p/tree/item-ids.js';
import { isConnected, metricTotal, sleep, startNetwork, waitFor, type TestNetwork } from './support/network.js';
import { SuitePeer } from '../conformance/peer.js';
import { apiOf, subscribe } from './support/subscribers.js';
import { audience, DATA_TYPE, distances, edges, round, treeEvents, type Audience } from './support/tree-network.js';

/**
 * graft_timeout well above the default 1 s: pulls repair a broken tree, and on a loaded
 * machine (12 daemons share this process's one thread) an eager path slower than the timer
 * starts pulls that add eager links, so the tree never settles (§4.8 item 5, *Not solved*).
 * No rule tested here needs a short timer; the repair test waits for its pulls, and the
 * silent-peer test sets its own.
 */
const TREE: Partial<GossipConfig> = { dissemination: 'tree', graftTimeoutMs: 5_000 };
/** How long warming up may take: rounds until one brings no duplicate. */
const WARM_UP_MS = 60_000;

describe('broadcast tree on loopback (docs/protocol.md §4.8)', function () {
  this.timeout(120_000);
  let network: TestNetwork | null = null;
  let crowd: Audience | null = null;
  const clients: ApiClient[] = [];
  const peers: SuitePeer[] = [];

  afterEach(async () => {
    crowd?.close();
    crowd = null;
    for (const client of clients.splice(0)) client.destroy();
    for (const peer of peers.splice(0)) peer.destroy();
    await network?.close();
    network = null;
  });

  /** `nodes` daemons whose links stopped changing (no new link would start eager mid-test). */
  async function settledNetwork(nodes: number, config: Partial<GossipConfig>): Promise<(Daemon | null)[]> {
    const started = await startNetwork({ nodes, config: { peerRequestIntervalMs: 2_000, ...config } });
    network = started;
    await waitFor('a connected overlay', () => isConnected(started.daemons), 30_000);
    let shape = '';
    let since = Date.now();
    await waitFor(
      'the links to stop changing',
      () => {
        const now = JSON.stringify(edges(started.daemons));
        if (now !== shape) [shape, since] = [now, Date.now()];
        return Date.now() - since >= 1_500;
      },
      30_000,
    );
    crowd = await audience(started.daemons, DATA_TYPE);
    return started.daemons;
  }

  /**
   * Rounds of items from random nodes until one brings no duplicate: the tree has settled. Up
   * to WARM_UP_MS rather than a number of rounds, since how many it takes depends on how items
   * in flight overlap, which the machine's load changes.
   */
  async function warmUp(daemons: (Daemon | null)[]): Promise<void> {
    const live = daemons.flatMap((d, i) => (d ? [i] : []));
    const deadline = Date.now() + WARM_UP_MS;
    for (let n = 0; Date.now() < deadline; n++) {
      const result = await round(
        daemons,
        crowd!,
        `warm-up ${n}`,
        10,
        () => live[Math.floor(Math.random() * live.length)]!,
      );
      if (result.duplicates === 0) return;
    }
    assert.fail(`the tree did not settle within ${WARM_UP_MS} ms of rounds of 10 items`);
  }

  it('forms a spanning tree and then carries every item exactly once to every node (no duplicates)', async () => {
    const daemons = await settledNetwork(12, { ...TREE, degree: 3 });
    await warmUp(daemons);
    const result = await round(daemons, crowd!, 'steady', 30, () => Math.floor(Math.random() * 12));
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
    const daemons = await settledNetwork(12, { ...TREE, degree: 3 });
    await warmUp(daemons);
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
    crowd!.inboxes[victim] = null;
    await network!.kill(victim);
    const result = await round(daemons, crowd!, 'after the kill', 20, () => source, 50);
    assert.deepEqual(result.received, Array<number>(11).fill(20));
    assert.ok((await treeEvents(daemons, 'graft-id-sent')) > graftsBefore, 'pulled over lazy links (GRAFT)');
  });

  it('never announces lazily an item its local module called invalid (§3.1)', async () => {
    const daemons = await settledNetwork(6, { ...TREE, degree: 2 });
    await warmUp(daemons);
    const judge = daemons.findIndex((d) => d!.overlay.dissemination.linkCounts().lazy > 0);
    assert.ok(judge >= 0, 'a node with a lazy link');
    const REJECTED = DATA_TYPE + 1;
    for (const [index, daemon] of daemons.entries())
      clients.push((await subscribe(daemon, REJECTED, index !== judge)).client);
    const ihaves = () => sentOfType(daemons[judge]!, MessageType.GOSSIP_IHAVE);
    const before = await ihaves();
    const source = judge === 0 ? 1 : 0;
    crowd!.announcers[source]!.announce({ ttl: 0, dataType: REJECTED, data: Buffer.from('rejected at the judge') });
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
      network = line;
      await waitFor('the line', () =>
        line.daemons.every((d, i) => d!.overlay.activeLinks.length === (i % 4 === 0 ? 1 : 2)),
      );
      crowd = await audience(line.daemons, DATA_TYPE);
      await reachExactly(line.daemons, 0, 2, 'on the line');
      crowd.close();
      await line.close();
      // A random overlay of 10, the tree settled first, so lazy links exist in tree mode.
      const daemons = await settledNetwork(10, { ...TREE, dissemination: mode, degree: 2 });
      if (mode === 'tree') await warmUp(daemons);
      for (const ttl of [1, 2]) await reachExactly(daemons, 3, ttl, `ttl ${ttl} on a random overlay`);
    });
  }

  /** Announces a ttl item at `source` and checks it reached exactly the nodes within `ttl` hops. */
  async function reachExactly(daemons: (Daemon | null)[], source: number, ttl: number, label: string): Promise<void> {
    const hops = distances(daemons.length, edges(daemons), source);
    const text = `${label} (ttl ${ttl})`;
    crowd!.announcers[source]!.announce({ ttl, dataType: DATA_TYPE, data: Buffer.from(text) });
    const got = () => crowd!.inboxes.map((inbox) => inbox!.some((b) => b.toString() === text));
    const expected = hops.map((h) => h <= ttl);
    await waitFor(`${label}: every node within ${ttl} hops`, () => got().every((has, i) => has || !expected[i]));
    await sleep(500); // room for a copy that should not come
    assert.deepEqual(got(), expected, `${label}: hops ${JSON.stringify(hops)}`);
  }

  it('a peer that announces ids and never serves does not stop delivery, and counts against it (§4.8 item 7)', async () => {
    const started = await startNetwork({ nodes: 2, config: { ...TREE, degree: 1, graftTimeoutMs: 300 } });
    network = started;
    const [holder, puller] = [started.daemons[0]!, started.daemons[1]!];
    await waitFor('the two nodes linked', () => puller.overlay.activeLinks.length === 1);
    const silent = await SuitePeer.connect(
      { host: puller.p2p.address, port: puller.p2p.port },
      { powDifficulty: 6, waitMs: 5_000 },
      '127.0.3.1',
    );
    peers.push(silent);
    assert.equal(await silent.handshake(40_301), null, 'the silent peer verified');
    await waitFor('the silent peer active', () => puller.overlay.activeLinks.length === 2);
    const { client, received } = await subscribe(puller, DATA_TYPE);
    clients.push(client);
    // The holder's end of its link to the puller is made lazy, so the item reaches the puller
    // only by a pull; the silent peer announces it first, so it is asked first.
    const holderLink = holder.overlay.activeLinks[0]!.connection;
    holder.overlay.dissemination.prune(holderLink);
    const data = Buffer.from('pulled past a silent announcer');
    const id = makeItem(DATA_TYPE, data).id;
    silent.send('IHAVE', GossipIhave.encode({ ids: [{ id: idToBytes(id) }] }));
    const announcer = await ApiClient.connect(apiOf(holder));
    clients.push(announcer);
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
