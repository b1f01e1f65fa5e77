/**
 * Multi-node behaviour of the overlay (docs/protocol.md §3.1, §4), daemons in this process on
 * distinct 127.0.0.x addresses with a low pow_difficulty.
 */
import assert from 'node:assert/strict';
import { ApiClient } from '../runtime/api/api-client.js';
import type { Daemon } from '../runtime/daemon.js';
import { apiOf, subscribe } from './support/subscribers.js';
import { isConnected, metricTotal, sleep, startNetwork, waitFor, type TestNetwork } from './support/network.js';

const DATA_TYPE = 4242;

function shuffled<T>(items: T[]): T[] {
  return items
    .map((item) => [Math.random(), item] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, item]) => item);
}

describe('P2P overlay on loopback (docs/protocol.md §4)', function () {
  this.timeout(60_000);
  let network: TestNetwork | null = null;
  const clients: ApiClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await network?.close();
    network = null;
  });

  async function line(nodes: number): Promise<TestNetwork> {
    const started = await startNetwork({ nodes, config: { degree: 1 }, bootstrapOf: (i) => (i === 0 ? null : i - 1) });
    network = started;
    await waitFor('the line to form', () =>
      started.daemons.every((d, i) => d!.overlay.activeLinks.length === (i === 0 || i === nodes - 1 ? 1 : 2)),
    );
    return started;
  }

  describe('validation before forwarding (§3.1)', () => {
    it("does not forward an item the middle node's subscriber calls invalid", async () => {
      const { daemons } = await line(3);
      clients.push((await subscribe(daemons[1]!, DATA_TYPE, false)).client);
      const { client: end, received } = await subscribe(daemons[2]!, DATA_TYPE);
      clients.push(end);
      const announcer = await ApiClient.connect(apiOf(daemons[0]!));
      clients.push(announcer);
      await sleep(100);
      announcer.announce({ ttl: 0, dataType: DATA_TYPE, data: Buffer.from('rejected in the middle') });
      await waitFor(
        'node 1 to judge the item invalid',
        async () => (await metricTotal(daemons[1]!.metrics.itemsInvalid)) === 1,
        5_000,
      );
      await sleep(500);
      assert.deepEqual(received, []);
    });

    it("forwards it once the middle node's subscriber answers valid=1", async () => {
      const { daemons } = await line(3);
      clients.push((await subscribe(daemons[1]!, DATA_TYPE)).client);
      const { client: end, received } = await subscribe(daemons[2]!, DATA_TYPE);
      clients.push(end);
      const announcer = await ApiClient.connect(apiOf(daemons[0]!));
      clients.push(announcer);
      await sleep(100);
      announcer.announce({ ttl: 0, dataType: DATA_TYPE, data: Buffer.from('accepted in the middle') });
      await waitFor('the item at node 2', () => received.length === 1, 5_000);
      assert.equal(received[0]!.toString(), 'accepted in the middle');
    });
  });

  describe('ttl (§3.1, §4.4)', () => {
    /** Announces at node 0 of a line and returns which nodes' subscribers got the item. */
    async function reachOnLine(nodes: number, ttl: number): Promise<boolean[]> {
      const { daemons } = await line(nodes);
      const inboxes: Buffer[][] = [];
      for (const daemon of daemons.slice(1)) {
        const { client, received } = await subscribe(daemon, DATA_TYPE);
        clients.push(client);
        inboxes.push(received);
      }
      const announcer = await ApiClient.connect(apiOf(daemons[0]!));
      clients.push(announcer);
      await sleep(100);
      announcer.announce({ ttl, dataType: DATA_TYPE, data: Buffer.from(`ttl ${ttl}`) });
      await waitFor('the item at node 1', () => inboxes[0]!.length === 1, 5_000);
      await sleep(500); // room for a wrongly forwarded copy to arrive
      return inboxes.map((inbox) => inbox.length === 1);
    }

    it('ttl 1 reaches direct neighbours only', async () => {
      assert.deepEqual(await reachOnLine(3, 1), [true, false]);
    });

    it('ttl 2 reaches exactly two hops on a line', async () => {
      assert.deepEqual(await reachOnLine(4, 2), [true, true, false]);
    });

    it('ttl 0 is unlimited', async () => {
      assert.deepEqual(await reachOnLine(5, 0), [true, true, true, true]);
    });
  });

  it('neither delivers nor forwards a type nobody subscribed to locally (§3.1)', async () => {
    const { daemons } = await line(3);
    const { client: end, received } = await subscribe(daemons[2]!, DATA_TYPE);
    clients.push(end);
    const announcer = await ApiClient.connect(apiOf(daemons[0]!));
    clients.push(announcer);
    await sleep(100);
    announcer.announce({ ttl: 0, dataType: DATA_TYPE, data: Buffer.from('nobody in the middle wants it') });
    await waitFor('node 1 to drop it', async () => (await metricTotal(daemons[1]!.metrics.itemsDropped)) === 1, 5_000);
    await sleep(300);
    assert.deepEqual(received, []);
  });

  it('forms over IPv6 loopback ([::1]): IPv6 PEER RESPONSEs, dialing and delivery (§4, §4.3)', async () => {
    const started = await startNetwork({ nodes: 4, hostOf: () => '::1', config: { degree: 2 } });
    network = started;
    await waitFor('a connected overlay', () => isConnected(started.daemons), 10_000);
    await waitFor(
      'every node at degree 2',
      () => started.daemons.every((d) => d!.overlay.activeLinks.length >= 2),
      10_000,
    );
    // Nodes 1-3 know each other only from IPv6 PEER RESPONSEs: a link between two of them
    // shows that the exchange worked.
    const bootstrapPort = started.daemons[0]!.p2p.port;
    const linksAvoidingNode0 = started.daemons
      .slice(1)
      .flatMap((d) => d!.overlay.activeLinks.filter((link) => link.listenAddress?.port !== bootstrapPort));
    assert.ok(linksAvoidingNode0.length > 0, 'no link learned through an IPv6 PEER RESPONSE');
    const inboxes: Buffer[][] = [];
    for (const daemon of started.daemons) {
      const { client, received } = await subscribe(daemon, DATA_TYPE);
      clients.push(client);
      inboxes.push(received);
    }
    const announcer = await ApiClient.connect(apiOf(started.daemons[0]!));
    clients.push(announcer);
    await sleep(100);
    announcer.announce({ ttl: 0, dataType: DATA_TYPE, data: Buffer.from('over IPv6') });
    await waitFor('the item everywhere', () => inboxes.every((inbox) => inbox.length === 1), 5_000);
  });

  describe('20 nodes', () => {
    it('every subscriber gets every one of 100 items exactly once (ttl 0)', async function () {
      this.timeout(120_000);
      // Replacements come from peer exchange, paced by peer_request_interval (§4.5): healing to
      // full degree takes about one interval, so the test network uses a short one.
      const started = await startNetwork({ nodes: 20, config: { degree: 4, peerRequestIntervalMs: 2_000 } });
      network = started;
      await waitFor('a connected overlay', () => isConnected(started.daemons), 30_000);
      const inboxes: Buffer[][] = [];
      for (const daemon of started.daemons) {
        const { client, received } = await subscribe(daemon, DATA_TYPE);
        clients.push(client);
        inboxes.push(received);
      }
      const announcers = await Promise.all(started.daemons.map((d) => ApiClient.connect(apiOf(d))));
      clients.push(...announcers);
      await sleep(200);
      for (let n = 0; n < 100; n++) {
        const at = Math.floor(Math.random() * announcers.length);
        announcers[at]!.announce({ ttl: 0, dataType: DATA_TYPE, data: Buffer.from(`item ${n} from ${at}`) });
        // Where the announcer is also subscribed, its own node does not echo it back (§3.1).
      }
      // Each node's own subscriber gets the items announced at OTHER nodes plus none of its own
      // (the announcer is a different connection, so it does get those too).
      await waitFor('every item everywhere', () => inboxes.every((inbox) => inbox.length >= 100), 30_000);
      await sleep(300);
      for (const inbox of inboxes) {
        const texts = inbox.map((b) => b.toString());
        assert.equal(new Set(texts).size, 100, 'every item once');
        assert.equal(texts.length, 100, 'no item twice');
      }
    });

    it('after 30% of the nodes die, items reach 100% of the survivors once healed', async function () {
      this.timeout(120_000);
      const started = await startNetwork({ nodes: 20, config: { degree: 4 } });
      network = started;
      await waitFor('a connected overlay', () => isConnected(started.daemons), 30_000);
      const victims = shuffled(Array.from({ length: 20 }, (_, i) => i)).slice(0, 6);
      const killedAt = Date.now();
      await Promise.all(victims.map((index) => started.kill(index)));
      const survivors = started.daemons.filter((d): d is Daemon => d !== null);
      // Healed: connected again, and every survivor back at `degree` links (replacements dialed).
      const connectedMs = await waitFor('the survivors to be connected', () => isConnected(started.daemons), 30_000);
      await waitFor(
        'every survivor back at degree 4',
        () => survivors.every((d) => d.overlay.activeLinks.length >= 4),
        30_000,
      );
      const healedMs = Date.now() - killedAt;
      const inboxes: Buffer[][] = [];
      for (const daemon of survivors) {
        const { client, received } = await subscribe(daemon, DATA_TYPE);
        clients.push(client);
        inboxes.push(received);
      }
      const announcer = await ApiClient.connect(apiOf(survivors[0]!));
      clients.push(announcer);
      await sleep(200);
      for (let n = 0; n < 20; n++)
        announcer.announce({ ttl: 0, dataType: DATA_TYPE, data: Buffer.from(`after the crash ${n}`) });
      await waitFor('every item at every survivor', () => inboxes.every((inbox) => inbox.length === 20), 10_000);
      console.log(
        `      (killed nodes ${victims.join(', ')}: connected after ${connectedMs} ms, all back at degree after ${healedMs} ms)`,
      );
    });
  });
});
