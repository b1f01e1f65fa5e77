/**
 * Bad input loses nothing else (docs/protocol.md §1, §3.1), against a daemon
 * spawned from the CLI: random bytes from several connections at once, a subscriber that
 * never reads, an announcer that floods. After each, the process is alive, logged no error
 * and wrote nothing to stderr (an exception thrown out of the event loop would), and a
 * normal client is still served.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { GossipAnnounce, GossipNotify, MessageType } from '../../generated/index.js';
import { ApiClient } from '../../runtime/api/api-client.js';
import { ApiProbe } from '../support/api-probe.js';
import { DaemonProcess, sleep } from '../support/daemon-process.js';
import { seededRandom } from '../support/seeded-random.js';
import { waitFor } from '../support/wait-for.js';

/** Send-queue bound of an API connection (runtime/daemon.ts API_SEND_QUEUE_BYTES). */
const API_SEND_QUEUE_BYTES = 8 * 1024 * 1024;
/** Receive-queue capacity of the API Server (runtime/daemon.ts RECEIVE_QUEUE_CAPACITY). */
const API_RECEIVE_QUEUE_CAPACITY = 4_096;
const FUZZ_MS = 10_000;
const FUZZ_CONNECTIONS = 4;
const ARRIVES_MS = 3_000;
/** The data type of the subscription probe (test/support/api-probe.ts); no test uses it. */
const PROBE_TYPE = 19_999;

let daemon: DaemonProcess;
let probe: ApiProbe;
let nextDataType = 20_000;
let nextItem = 0;

function uniqueData(length: number): Uint8Array {
  const data = new Uint8Array(length);
  new DataView(data.buffer).setUint32(0, ++nextItem);
  return data;
}

/** A fresh subscriber gets a fresh announcer's item: the daemon still serves normal clients. */
async function assertServed(timeoutMs = ARRIVES_MS): Promise<number> {
  const type = nextDataType++;
  const listener = await ApiClient.connect(daemon.api);
  const announcer = await ApiClient.connect(daemon.api);
  try {
    listener.notify(type);
    await probe.handled(listener, timeoutMs);
    const started = Date.now();
    announcer.announce({ ttl: 1, dataType: type, data: uniqueData(16) });
    assert.ok(await listener.nextNotification(timeoutMs), 'a normal client was not served');
    return Date.now() - started;
  } finally {
    listener.destroy();
    announcer.destroy();
  }
}

/** Nothing was thrown out of the event loop: alive, no error-level log line, silent stderr. */
function assertHealthy(): void {
  assert.ok(daemon.isAlive, `the daemon died: ${daemon.errorOutput}`);
  assert.equal(daemon.errorOutput, '', 'the daemon wrote to stderr (uncaught exception?)');
  const errors = daemon.logLines().filter((line) => Number(line.level) >= 50);
  assert.deepEqual(errors, [], 'the daemon logged an error');
}

/** Resident memory of the daemon process in bytes (Linux /proc). */
function rssBytes(): number {
  const status = readFileSync(`/proc/${daemon.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
}

/** One write of fuzz: random bytes, or frames with plausible headers and random bodies. */
function fuzzChunk(random: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(random() * n);
  const bytes = (n: number): number[] => Array.from({ length: n }, () => int(256));
  const kind = int(4);
  if (kind === 0) return Uint8Array.from(bytes(1 + int(512)));
  const parts: number[] = [];
  for (let frames = 1 + int(8); frames > 0; frames--) {
    // Known types most of the time, so that the decoders and the handler see the input.
    const type = int(3) === 0 ? int(65536) : 500 + int(10);
    const bodyLength = kind === 1 ? int(64) : [0, 4, 8, 12, 16][int(5)]!;
    const size = int(10) === 0 ? int(65536) : 4 + bodyLength + (int(6) === 0 ? int(3) - 1 : 0);
    parts.push(size >> 8, size & 0xff, type >> 8, type & 0xff, ...bytes(bodyLength));
  }
  return Uint8Array.from(parts);
}

/** Keeps one connection busy with fuzz until `deadline`, reconnecting whenever it is closed. */
async function fuzzConnection(
  random: () => number,
  deadline: number,
  stats: { connections: number; bytes: number },
): Promise<void> {
  while (Date.now() < deadline) {
    const socket = net.connect(daemon.api.port, daemon.api.host);
    socket.on('error', () => {});
    socket.on('data', () => {});
    await new Promise((resolve) => socket.once('connect', resolve).once('close', resolve));
    stats.connections++;
    for (let writes = 0; writes < 50 && !socket.destroyed && Date.now() < deadline; writes++) {
      const chunk = fuzzChunk(random);
      stats.bytes += chunk.length;
      socket.write(chunk);
      // Pacing, not synchronisation: writes of the connections interleave in varied ways.
      await sleep(random() < 0.5 ? 0 : 2);
    }
    socket.destroy();
  }
}

describe('API robustness, daemon spawned from the CLI (docs/protocol.md §1, §3)', function () {
  this.timeout(30_000);

  before(async function () {
    this.timeout(30_000);
    // Local items keep their message IDs reserved for validation_timeout: keep it short so
    // that memory measured below is the queues', not the tracker's.
    daemon = await DaemonProcess.start({ withMetrics: true, gossip: { validation_timeout: 0.5, log_level: 'info' } });
    probe = await ApiProbe.open(daemon.api, PROBE_TYPE);
  });

  after(async () => {
    probe?.close();
    if (!daemon) return;
    const status = await daemon.stop();
    assert.deepEqual(status, { code: 0, signal: null });
  });

  it(`survives ${FUZZ_MS / 1000} s of random bytes from ${FUZZ_CONNECTIONS} connections at once, then serves a normal client`, async function () {
    this.timeout(FUZZ_MS + 15_000);
    const seed = Number(process.env.GOSSIP_FUZZ_SEED ?? Date.now() % 2 ** 31);
    const random = seededRandom(seed);
    const stats = { connections: 0, bytes: 0 };
    const deadline = Date.now() + FUZZ_MS;
    const probeLatencies: number[] = [];
    const probing = (async () => {
      while (Date.now() < deadline) {
        probeLatencies.push(await assertServed());
        await sleep(1_000); // pacing: one check per second during the fuzz, not synchronisation
      }
    })();
    await Promise.all([
      ...Array.from({ length: FUZZ_CONNECTIONS }, () => fuzzConnection(random, deadline, stats)),
      probing,
    ]);
    const malformed = await daemon.metric('gossip_malformed_closes_total', { server: 'api' });
    assert.ok(stats.connections > 100, `only ${stats.connections} fuzz connections in ${FUZZ_MS} ms (seed ${seed})`);
    assert.ok(malformed > 50, `only ${malformed} malformed closes: the fuzz did not reach the decoders (seed ${seed})`);
    assertHealthy();
    await assertServed();
    console.log(
      `      fuzz seed ${seed}: ${stats.connections} connections, ${stats.bytes} bytes, ${malformed} malformed closes, probe ${Math.max(...probeLatencies)} ms max`,
    );
  });

  it('a subscriber that never reads gets at most its send-queue bound; others are still served', async function () {
    this.timeout(60_000);
    const type = nextDataType++;
    const itemBytes = 16 * 1024;
    const items = 4_096; // 64 MiB of NOTIFICATIONs for each subscriber
    const slow = net.connect(daemon.api.port, daemon.api.host);
    await new Promise((resolve) => slow.once('connect', resolve));
    slow.write(GossipNotify.encode({ dataType: type }));
    slow.pause(); // never reads while the items are announced
    await probe.handled((frame) => slow.write(frame));
    const reader = await ApiClient.connect(daemon.api);
    reader.notify(type);
    await probe.handled(reader);
    const droppedBefore = await daemon.metric('gossip_items_dropped_total', { reason: 'subscriber-send-queue-full' });
    const baseline = rssBytes();
    let peak = baseline;
    const announcer = await ApiClient.connect(daemon.api);
    for (let i = 0; i < items; i++) {
      announcer.announce({ ttl: 1, dataType: type, data: uniqueData(itemBytes) });
      if (i % 256 === 255) {
        // Let the normal reader keep up, so that only the slow subscriber falls behind.
        for (let got = 0; got < 256; got++)
          assert.ok(await reader.nextNotification(ARRIVES_MS), `the reading subscriber lost item ${i}`);
        peak = Math.max(peak, rssBytes());
      }
    }
    const dropped =
      (await daemon.metric('gossip_items_dropped_total', { reason: 'subscriber-send-queue-full' })) - droppedBefore;
    assert.ok(dropped > 0, 'nothing was dropped for the subscriber that never reads');
    await assertServed();

    // Now read what was kept for it: the daemon's bound plus what the kernel buffered.
    // Every item was handled (the reader got them all), so `dropped` is final and what was
    // kept for the slow subscriber is known: wait until it has all arrived.
    const total = items * (itemBytes + 8);
    const kept = total - dropped * (itemBytes + 8);
    let received = 0;
    slow.on('data', (chunk: Buffer) => (received += chunk.length));
    slow.resume();
    await waitFor(() => received >= kept, `the ${mib(kept)} kept for the slow subscriber`, 20_000).catch(
      () => undefined,
    );
    slow.destroy();
    announcer.destroy();
    reader.destroy();
    console.log(
      `      never-reading subscriber: ${mib(received)} of ${mib(total)} kept for it, ${dropped} NOTIFICATIONs dropped, daemon RSS +${mib(peak - baseline)}`,
    );
    assert.equal(received + dropped * (itemBytes + 8), total, 'NOTIFICATIONs neither delivered nor counted as dropped');
    // Kernel buffers on loopback hold a few MiB more than the daemon's own bound. (RSS is only
    // printed: it also holds garbage of the 128 MiB of frames encoded for both subscribers.)
    assert.ok(
      received < API_SEND_QUEUE_BYTES + 16 * 1024 * 1024,
      `the never-reading subscriber got ${mib(received)}: the send queue is not bounded`,
    );
    assertHealthy();
  });

  it('an announcer that floods is throttled (not read), the receive queue stays bounded, others are served', async function () {
    this.timeout(30_000);
    const type = nextDataType++;
    const readers = await Promise.all(Array.from({ length: 10 }, () => ApiClient.connect(daemon.api)));
    let notified = 0;
    for (const reader of readers) {
      reader.notify(type);
      reader.transport.socket.on('data', () => notified++);
    }
    await Promise.all(readers.map((reader) => probe.handled(reader)));
    const flood = net.connect(daemon.api.port, daemon.api.host);
    await new Promise((resolve) => flood.once('connect', resolve));
    const floodMs = 3_000;
    const deadline = Date.now() + floodMs;
    let written = 0;
    let blockedWrites = 0;
    // One batch of 512 ANNOUNCEs encoded once; each write copies it and stamps fresh item
    // numbers into the data, so the flooder outpaces the daemon (no encoding per item).
    const FRAMES_PER_BATCH = 512;
    const frameSize = GossipAnnounce.encode({ ttl: 1, dataType: type, data: uniqueData(512) }).length;
    const template = Buffer.concat(
      Array.from({ length: FRAMES_PER_BATCH }, () =>
        GossipAnnounce.encode({ ttl: 1, dataType: type, data: uniqueData(512) }),
      ),
    );
    const flooding = (async () => {
      while (Date.now() < deadline) {
        const batch = Buffer.from(template);
        for (let i = 0; i < FRAMES_PER_BATCH; i++) batch.writeUInt32BE(++nextItem, i * frameSize + 8);
        written += FRAMES_PER_BATCH;
        if (!flood.write(batch)) {
          blockedWrites++;
          await new Promise((resolve) => flood.once('drain', resolve));
        }
      }
    })();
    const depths: number[] = [];
    /** ANNOUNCEs written but not yet read by the daemon, sampled during the flood. */
    const lags: number[] = [];
    const probes: number[] = [];
    const sampling = (async () => {
      while (Date.now() < deadline) {
        depths.push(await daemon.metric('gossip_queue_depth', { server: 'api', queue: 'receive' }));
        const writtenSoFar = written;
        lags.push(
          writtenSoFar -
            (await daemon.metric('gossip_frames_received_total', {
              server: 'api',
              type: String(MessageType.GOSSIP_ANNOUNCE),
            })),
        );
        probes.push(await assertServed(2_000));
        await sleep(200); // pacing: about five samples a second during the flood, not synchronisation
      }
    })();
    await Promise.all([flooding, sampling]);
    flood.destroy();
    for (const reader of readers) reader.destroy();
    console.log(
      `      flood: ${written} ANNOUNCEs written (${blockedWrites} writes waited for drain), max receive-queue depth ${Math.max(...depths)}, max ANNOUNCEs not yet read ${Math.max(...lags)}, probe round trips max ${Math.max(...probes)} ms, ${notified} chunks to subscribers`,
    );
    assert.ok(blockedWrites > 0, 'the flooding client was never held back: TCP backpressure did not reach it');
    // The premise: the daemon fell behind (ANNOUNCEs waited in kernel buffers, unread) by far
    // more than the 256 frames one connection may have queued inside it.
    assert.ok(Math.max(...lags) > 1_024, 'the daemon was never far behind the flooder: no flood to throttle');
    assert.ok(
      Math.max(...depths) <= API_RECEIVE_QUEUE_CAPACITY,
      `receive queue grew past its capacity: ${Math.max(...depths)}`,
    );
    assert.ok(probes.length > 0 && Math.max(...probes) < 2_000, 'a normal client waited too long during the flood');
    assertHealthy();
    await assertServed();
  });
});

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
