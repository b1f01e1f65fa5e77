/**
 * Every drop is counted in one place (docs/protocol.md §7.4): for each reason, the drop
 * happens and `gossip_items_dropped_total{reason}` moves. Server-level reasons against a
 * bare Server with GossipMetrics as its observer; item-level reasons in in-process daemons.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import pino from 'pino';
import { GossipAnnounce, GossipNotify } from '../../generated/index.js';
import { ApiClient } from '../../runtime/api/api-client.js';
import type { FrameConsumer } from '../../runtime/core/frame-consumer.js';
import { Server, type ServerOptions } from '../../runtime/core/server.js';
import type { GossipConfig } from '../../runtime/config.js';
import { GossipMetrics } from '../../runtime/metrics.js';
import { sleep, startNetwork, waitFor, type TestNetwork } from '../support/network.js';

const IGNORE_FRAMES: FrameConsumer = { refuseType: () => null, opened: () => {}, closed: () => {}, consume: () => {} };

async function dropped(metrics: GossipMetrics, reason: string): Promise<number> {
  const values = (await metrics.itemsDropped.get()).values;
  return values.filter((entry) => entry.labels.reason === reason).reduce((sum, entry) => sum + entry.value, 0);
}

const announce = (n: number, size = 16) => {
  const data = Buffer.alloc(size);
  data.writeUInt32BE(n);
  return GossipAnnounce.encode({ ttl: 1, dataType: 1, data });
};

describe('every drop is counted by reason (docs/protocol.md §7.4)', function () {
  this.timeout(60_000);

  describe('at the Server', () => {
    let server: Server | null = null;
    const sockets: net.Socket[] = [];
    afterEach(async () => {
      for (const socket of sockets.splice(0)) socket.destroy();
      await server?.close();
      server = null;
    });

    async function start(overrides: Partial<ServerOptions>): Promise<{ metrics: GossipMetrics; port: number }> {
      const metrics = new GossipMetrics({ processMetrics: false });
      server = new Server({
        name: 'p2p',
        consumer: IGNORE_FRAMES,
        observer: metrics,
        logger: pino({ level: 'silent' }),
        pump: { add: () => {}, wake: () => {} }, // frames stay queued: nothing drains them
        queueCapacity: 100,
        overflow: 'pause-fair',
        maxQueuedPerConnection: 1_000,
        sendQueueMaxBytes: 1024 * 1024,
        ...overrides,
      });
      const { port } = await server.listen('127.0.0.1', 0);
      return { metrics, port };
    }

    /** A remote that connects and never reads. */
    async function nonReader(port: number): Promise<void> {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      sockets.push(socket);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.pause();
      await waitFor('the server to adopt the connection', () => server!.connections.size === 1);
    }

    it('receive-queue-full: gossip past twice the receive queue bound (pause-fair)', async () => {
      const { metrics, port } = await start({ queueCapacity: 4 });
      const socket = net.connect(port, '127.0.0.1');
      sockets.push(socket);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(Buffer.concat(Array.from({ length: 20 }, (_, n) => announce(n))));
      await waitFor('the drops', async () => (await dropped(metrics, 'receive-queue-full')) === 12);
      assert.equal(server!.receiveQueue.length, 8);
    });

    it('peer-send-queue-full: pushes a full send queue refuses', async () => {
      const { metrics, port } = await start({ sendQueueMaxBytes: 3_000 });
      await nonReader(port);
      const [connection] = [...server!.connections];
      let accepted = 0;
      for (let n = 0; n < 10; n++) if (connection!.send(announce(n, 992))) accepted++; // 1,000-byte frames
      assert.equal(accepted, 3);
      assert.equal(await dropped(metrics, 'peer-send-queue-full'), 7);
    });

    it('send-stalled: a peer whose queue stays full past send_stall_timeout is closed, its unsent items counted', async () => {
      const { metrics, port } = await start({ sendQueueMaxBytes: 1024 * 1024, sendStallTimeoutMs: 300 });
      await nonReader(port);
      const [connection] = [...server!.connections];
      // Fill the kernel's buffers until our own queue refuses.
      for (let round = 0; round < 500 && !connection!.sendQueue.isFull; round++) {
        for (let n = 0; n < 16; n++) connection!.send(announce(round * 16 + n, 60_000));
        await sleep(10);
      }
      assert.ok(connection!.sendQueue.isFull, 'the send queue never filled');
      await waitFor('the stalled connection to close', () => connection!.isClosed, 3_000);
      assert.equal(connection!.closeReason, 'send queue stalled');
      assert.equal((await metrics.sendStalls.get()).values[0]?.value, 1);
      assert.ok((await dropped(metrics, 'send-stalled')) > 0, 'the unsent items were not counted');
    });
  });

  describe('in daemons', () => {
    let network: TestNetwork | null = null;
    const clients: ApiClient[] = [];
    afterEach(async () => {
      for (const client of clients.splice(0)) client.destroy();
      await network?.close();
      network = null;
    });

    async function nodes(count: number, config: Partial<GossipConfig>): Promise<TestNetwork> {
      network = await startNetwork({ nodes: count, config });
      const started = network;
      if (count > 1)
        await waitFor('the link', () => started.daemons.every((d) => d!.overlay.activeLinks.length === count - 1));
      return started;
    }

    async function client(index: number): Promise<ApiClient> {
      const daemon = network!.daemons[index]!;
      const connected = await ApiClient.connect({ host: daemon.api.address, port: daemon.api.port });
      clients.push(connected);
      return connected;
    }

    it('subscriber-send-queue-full: NOTIFICATIONs beyond api_send_queue_bytes to a subscriber that does not read', async () => {
      const started = await nodes(1, { apiSendQueueBytes: 64 * 1024 });
      const daemon = started.daemons[0]!;
      const subscriber = net.connect(daemon.api.port, daemon.api.address);
      subscriber.on('error', () => {});
      await new Promise((resolve) => subscriber.once('connect', resolve));
      subscriber.pause();
      subscriber.write(GossipNotify.encode({ dataType: 1 }));
      await sleep(100);
      const announcer = await client(0);
      announcer.sendRaw(Buffer.concat(Array.from({ length: 100 }, (_, n) => announce(n, 4_000))));
      await waitFor('the drops', async () => (await dropped(daemon.metrics, 'subscriber-send-queue-full')) > 0);
      subscriber.destroy();
    });

    it('validation-timeout and cache-evicted: a peer item nobody validates, and one pushed out while waiting', async () => {
      const started = await nodes(2, { cacheSize: 1, validationTimeoutMs: 500 });
      const receiver = started.daemons[1]!;
      const silent = await client(1);
      silent.notify(1); // subscribes, never answers
      await sleep(100);
      const announcer = await client(0);
      announcer.announce({ ttl: 2, dataType: 1, data: Buffer.from('first') });
      await waitFor(
        'the first item to arrive',
        async () => (await receiver.metrics.itemsReceived.get()).values[0]?.value === 1,
      );
      announcer.announce({ ttl: 2, dataType: 1, data: Buffer.from('second') });
      await waitFor('the eviction', async () => (await dropped(receiver.metrics, 'cache-evicted')) === 1);
      await waitFor('the timeout', async () => (await dropped(receiver.metrics, 'validation-timeout')) === 1, 3_000);
    });
  });
});
