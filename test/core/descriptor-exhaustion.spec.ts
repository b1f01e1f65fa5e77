/**
 * Running out of file descriptors is visible (docs/protocol.md §7.5): a daemon started
 * under `ulimit -n 64` is flooded with connections until accept fails with EMFILE (libuv
 * then closes the pending connections itself, silently). It logs
 * that (rate-limited: a handful of lines, not one per refused connection), counts it, keeps
 * serving the clients it already had, and accepts again once descriptors free up.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { ApiClient } from '../../runtime/api/api-client.js';
import { DaemonProcess, sleep } from '../support/daemon-process.js';

const DESCRIPTOR_LIMIT = 64;
const HOGS = 120;
const DATA_TYPE = 9_001;

/** A connection that is held open; resolves once connected or refused. */
function hog(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}

async function connectWithin(port: number, ms: number): Promise<ApiClient> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await ApiClient.connect({ host: '127.0.0.1', port });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

describe('out of file descriptors (docs/protocol.md §7.5)', function () {
  this.timeout(60_000);
  let daemon: DaemonProcess;
  let apiPort: number;

  before(async () => {
    daemon = await DaemonProcess.start({
      descriptorLimit: DESCRIPTOR_LIMIT,
      withMetrics: true,
      gossip: { log_level: 'info' },
    });
    apiPort = daemon.api.port;
  });

  after(async () => {
    await daemon.stop();
  });

  it('logs and counts EMFILE, keeps serving existing clients, and recovers', async () => {
    const subscriber = await connectWithin(apiPort, 5_000);
    const announcer = await connectWithin(apiPort, 5_000);
    subscriber.notify(DATA_TYPE);
    await sleep(100);

    const hogs = await Promise.all(Array.from({ length: HOGS }, () => hog(apiPort)));
    await sleep(1_500); // the watch looks once a second
    const refusals = daemon.output.split('\n').filter((line) => line.includes('out of file descriptors'));
    assert.ok(refusals.length >= 1, `nothing logged about running out of descriptors: ${daemon.output.slice(-2_000)}`);
    assert.ok(refusals.length <= 3, `not rate-limited: ${refusals.length} lines`);

    // Existing clients are still served.
    announcer.announce({ ttl: 1, dataType: DATA_TYPE, data: Buffer.from('while exhausted') });
    const notification = await subscriber.nextNotification(3_000);
    assert.ok(notification, 'an existing subscriber was not served while descriptors ran out');

    // Descriptors free up: new connections are accepted again.
    for (const socket of hogs) socket.destroy();
    await sleep(300);
    const late = await connectWithin(apiPort, 5_000);
    late.notify(DATA_TYPE + 1);
    await sleep(100);
    announcer.announce({ ttl: 1, dataType: DATA_TYPE + 1, data: Buffer.from('after recovery') });
    assert.ok(await late.nextNotification(3_000), 'a new client was not served after descriptors freed up');

    assert.ok(
      (await daemon.metric('gossip_descriptors_exhausted_total')) > 0,
      'running out of descriptors was not counted',
    );
    for (const client of [subscriber, announcer, late]) client.destroy();
    assert.equal(daemon.isAlive, true, 'the daemon died');
  });
});
