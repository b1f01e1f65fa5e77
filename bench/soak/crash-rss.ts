/**
 * Resident memory of one spawned daemon before and after 5,000 clients that send NOTIFY and
 * reset, then 5,000 that send NOTIFY plus a malformed frame (docs/protocol.md §7.1; the
 * in-process test test/api/closed-connection-state.spec.ts checks the heap after a GC).
 * No GC is forced here: this is the RSS a user would see. `npx tsx bench/soak/crash-rss.ts`
 */
import net from 'node:net';
import { GossipNotify } from '../../generated/index.js';
import { sleep } from '../../test/support/network.js';
import { metricsOf, rssOf, startSoakCluster, sumOf } from './daemons.js';

const COUNT = 5_000;
const PARALLEL = 50;

function crash(endpoint: { host: string; port: number }, bytes: Uint8Array, reset: boolean): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(endpoint.port, endpoint.host);
    socket.on('error', () => {});
    socket.once('close', () => resolve());
    socket.once('connect', () => socket.write(bytes, () => (reset ? socket.resetAndDestroy() : undefined)));
  });
}

const cluster = await startSoakCluster(1, 1, '127.0.3');
const daemon = cluster.daemons[0]!;
const mb = (): string => (rssOf(daemon.process.pid) / 2 ** 20).toFixed(0);
const subscribed = async (): Promise<number> =>
  sumOf(await metricsOf(0), 'gossip_state_size', { what: 'subscribed_connections' });
try {
  await sleep(2_000);
  console.log(`RSS at start: ${mb()} MB`);
  const notify = GossipNotify.encode({ dataType: 7 });
  const cases: Array<[string, Uint8Array, boolean]> = [
    ['NOTIFY then RST', notify, true],
    ['NOTIFY + malformed frame', Buffer.concat([notify, Uint8Array.of(0, 2, 1, 0xf5)]), false],
  ];
  for (const [name, bytes, reset] of cases) {
    for (let done = 0; done < COUNT; done += PARALLEL) {
      await Promise.all(Array.from({ length: PARALLEL }, () => crash(daemon.api, bytes, reset)));
    }
    await sleep(3_000);
    console.log(`after ${COUNT} x ${name}: RSS ${mb()} MB, subscribed connections ${await subscribed()}`);
  }
} finally {
  await cluster.close();
}
