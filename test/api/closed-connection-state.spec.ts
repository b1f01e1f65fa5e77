/**
 * No state outlives its connection (docs/protocol.md §7.1): a client that sends NOTIFY and
 * then resets (a crashing module), or follows NOTIFY with a malformed frame in the same
 * write, leaves no subscription behind, 5,000 times each, and the memory comes back.
 *
 * In-process daemon (startDaemon), so that the subscription table can be read directly;
 * memory is measured as this process's V8 heap after a forced full GC (`heapUsed`), not
 * RSS: RSS of the whole test process moves with the test runner itself.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GossipNotify } from '../../generated/index.js';
import { ApiClient } from '../../runtime/api/api-client.js';
import type { Daemon } from '../../runtime/daemon.js';
import { metricTotal, startNetwork, waitFor, type TestNetwork } from '../support/network.js';

const CONNECTIONS = 5_000;
/** Connections in flight at once (loopback, one process). */
const PARALLEL = 50;
const DATA_TYPE = 7_001;
/** A frame whose size field (2) is below the header size: malformed (§1). */
const MALFORMED = Uint8Array.of(0, 2, 1, 0xf5);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let n = 0; n < 3; n++) gc();
  return process.memoryUsage().heapUsed;
}

/** Opens a connection, writes `bytes` in one write, then ends it the way `end` says. */
function crashingClient(port: number, bytes: Uint8Array, end: 'reset' | 'wait-close'): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.once('close', () => resolve());
    socket.once('connect', () => {
      socket.write(bytes, () => {
        if (end === 'reset') socket.resetAndDestroy();
      });
    });
  });
}

async function run(daemon: Daemon, count: number, bytes: Uint8Array, end: 'reset' | 'wait-close'): Promise<void> {
  for (let started = 0; started < count; started += PARALLEL) {
    const batch = Math.min(PARALLEL, count - started);
    await Promise.all(Array.from({ length: batch }, () => crashingClient(daemon.api.port, bytes, end)));
  }
}

describe('API: no state outlives its connection (docs/protocol.md §7.1)', function () {
  this.timeout(180_000);
  let network: TestNetwork;
  let daemon: Daemon;

  before(async () => {
    network = await startNetwork({ nodes: 1 });
    daemon = network.daemons[0]!;
  });
  after(async () => network.close());

  const cases: Array<[string, Uint8Array, 'reset' | 'wait-close']> = [
    ['NOTIFY then RST', GossipNotify.encode({ dataType: DATA_TYPE }), 'reset'],
    [
      'NOTIFY plus a malformed frame in one write',
      Buffer.concat([GossipNotify.encode({ dataType: DATA_TYPE }), MALFORMED]),
      'wait-close',
    ],
  ];
  for (const [name, bytes, end] of cases) {
    it(`${name}, ${CONNECTIONS.toLocaleString('en')} times: no subscription left, heap back within 10 %`, async () => {
      const subscriptions = daemon.handler.local.subscriptions;
      await run(daemon, 200, bytes, end); // warm-up: code compiled, pools allocated
      await waitFor('warm-up subscriptions to end', () => subscriptions.connectionCount === 0, 5_000);
      const before = heapAfterGc();
      await run(daemon, CONNECTIONS, bytes, end);
      await waitFor('every subscription to end', () => subscriptions.connectionCount === 0, 10_000);
      assert.equal(subscriptions.hasSubscribers(DATA_TYPE), false);
      const after = heapAfterGc();
      if (process.env.GOSSIP_TEST_VERBOSE)
        console.log(`      heap after GC: ${(before / 1e6).toFixed(1)} MB -> ${(after / 1e6).toFixed(1)} MB`);
      assert.ok(
        after <= before * 1.1,
        `heap grew from ${(before / 1e6).toFixed(1)} MB to ${(after / 1e6).toFixed(1)} MB`,
      );

      // A later item of that type costs no failed sends to dead subscribers.
      const droppedBefore = await metricTotal(daemon.metrics.itemsDropped);
      const announcer = await ApiClient.connect({ host: '127.0.0.1', port: daemon.api.port });
      announcer.announce({ ttl: 1, dataType: DATA_TYPE, data: Buffer.from(`after ${name}`) });
      await new Promise((resolve) => setTimeout(resolve, 100));
      announcer.destroy();
      assert.equal(
        await metricTotal(daemon.metrics.itemsDropped),
        droppedBefore,
        'an item was dropped toward a dead subscriber',
      );
    });
  }
});
