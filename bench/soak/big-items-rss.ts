/**
 * Resident memory of one spawned daemon while a client announces 20,000 items of 64 KiB as
 * fast as it can, with no subscriber, then with one subscriber that validates (docs/protocol.md
 * §7.2: the run took RSS from 100 MB to 1.37 GB). `npx tsx bench/soak/big-items-rss.ts`
 */
import net from 'node:net';
import { GossipAnnounce } from '../../generated/index.js';
import { sleep } from '../../test/support/network.js';
import { CountingSubscriber } from './clients.js';
import { rssOf, startSoakCluster } from './daemons.js';

const ITEMS = 20_000;
const SIZE = 64 * 1024 - 9; // the largest ANNOUNCE data that fits a frame (at most 65,535 bytes)

async function announceAll(endpoint: { host: string; port: number }, dataType: number): Promise<number> {
  const socket = net.connect(endpoint.port, endpoint.host);
  await new Promise((resolve) => socket.once('connect', resolve));
  const started = Date.now();
  for (let n = 0; n < ITEMS; n++) {
    const data = Buffer.alloc(SIZE);
    data.writeUInt32BE(n);
    data.writeUInt16BE(dataType, 4);
    if (!socket.write(GossipAnnounce.encode({ ttl: 1, dataType, data })))
      await new Promise((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(() => resolve()));
  return Date.now() - started;
}

const cluster = await startSoakCluster(1, 1, '127.0.4');
const daemon = cluster.daemons[0]!;
let maxRss = 0;
const sampler = setInterval(() => (maxRss = Math.max(maxRss, rssOf(daemon.process.pid))), 100);
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
try {
  await sleep(1_000);
  console.log(`RSS at start: ${mb(rssOf(daemon.process.pid))} MB`);
  const alone = await announceAll(daemon.api, 1);
  await sleep(2_000);
  console.log(
    `${ITEMS} x 64 KiB, no subscriber, in ${alone} ms: RSS max ${mb(maxRss)} MB, after ${mb(rssOf(daemon.process.pid))} MB`,
  );
  maxRss = 0;
  const subscriber = await CountingSubscriber.start(daemon.api, 2);
  await sleep(200);
  const watched = await announceAll(daemon.api, 2);
  await sleep(3_000);
  console.log(
    `${ITEMS} x 64 KiB, one validating subscriber (got ${subscriber.seen.size}), in ${watched} ms: RSS max ${mb(maxRss)} MB, after ${mb(rssOf(daemon.process.pid))} MB`,
  );
  subscriber.close();
} finally {
  clearInterval(sampler);
  await cluster.close();
}
