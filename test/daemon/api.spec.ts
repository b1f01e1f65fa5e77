/**
 * Black-box tests of the API (docs/protocol.md §1 framing, §3 API) over real TCP, against a daemon
 * started the way a user starts it: `node bin/gossip.js daemon -c <config.ini>`
 * (test/support/daemon-process.ts). Two fake peers on the P2P port (§4.2 handshake at
 * pow_difficulty 0) make the validation rules observable: an item a peer sends is forwarded
 * to the other peer only when the local validators approve it.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  GossipAnnounce,
  GossipHello,
  GossipNotification,
  GossipNotify,
  GossipPeerRequest,
  GossipPeerResponse,
  GossipValidation,
  GossipVerificationRequest,
  GossipVerificationResponse,
  frameSizeOf,
  HEADER_SIZE,
  MessageType,
  SIZE_FIELD_END,
  writeFrameHeader,
} from '../../generated/index.js';
import { ApiClient, FramedSocket, frameType, type Endpoint } from '../../runtime/api/api-client.js';
import { ApiProbe } from '../support/api-probe.js';
import { DaemonProcess } from '../support/daemon-process.js';
import { waitFor as poll, waitForValue } from '../support/wait-for.js';

/** validation_timeout of the daemon under test, in seconds (§3.1). */
const VALIDATION_TIMEOUT_S = 3;
/** cache_size of the daemon under test (§5). */
const CACHE_SIZE = 20;
/** How long a frame that should come may take. */
const ARRIVES_MS = 3_000;
/** How long we watch for a frame that must NOT come. */
const QUIET_MS = 400;
/** The data type of the subscription probe (test/support/api-probe.ts); no test uses it. */
const PROBE_TYPE = 29_999;

let daemon: DaemonProcess;
let probe: ApiProbe;
let peerX: FakePeer;
let peerY: FakePeer;
const openClients: ApiClient[] = [];

/** A data type no earlier test used, so tests never see each other's items. */
let nextDataType = 30_000;
const freshType = (): number => nextDataType++;
/** Item data no earlier test announced (the seen-set drops duplicates, §4.4). */
let nextItem = 0;
const freshData = (length = 16): Uint8Array => {
  const data = new Uint8Array(length);
  new DataView(data.buffer).setUint32(0, ++nextItem);
  for (let i = 4; i < length; i++) data[i] = (nextItem + i) & 0xff;
  return data;
};

async function client(): Promise<ApiClient> {
  const connected = await ApiClient.connect(daemon.api);
  openClients.push(connected);
  return connected;
}

/** A client subscribed to `types`; resolves once the daemon has handled the NOTIFYs. */
async function subscriber(...types: number[]): Promise<ApiClient> {
  const connected = await client();
  for (const type of types) connected.notify(type);
  await probe.handled(connected);
  return connected;
}

/** A frame with the given header fields and body, as raw bytes (for malformed input). */
function rawFrame(size: number, type: number, body: number[] | Uint8Array = []): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE + body.length);
  writeFrameHeader(bytes, size, type);
  bytes.set(body, HEADER_SIZE);
  return bytes;
}

/** Another client is still served: a fresh subscriber gets a fresh announcer's item. */
async function assertStillServed(): Promise<void> {
  const type = freshType();
  const listener = await subscriber(type);
  const announcer = await client();
  const data = freshData();
  announcer.announce({ ttl: 1, dataType: type, data });
  const got = await listener.nextNotification(ARRIVES_MS);
  assert.ok(got, 'a well-behaved client was not served after another connection misbehaved');
  assert.equal(hex(got.data), hex(data));
}

/** The daemon's first debug log line about the connection whose local port is `port`, starting with `message`. */
function logFor(port: number, message: string): Promise<Record<string, unknown>> {
  return waitForValue(
    () =>
      daemon
        .logLines()
        .find(
          (record) =>
            typeof record.connection === 'string' &&
            record.connection.endsWith(`:${port}`) &&
            typeof record.msg === 'string' &&
            record.msg.startsWith(message),
        ),
    `a "${message}" log line for the connection from port ${port}`,
    ARRIVES_MS,
  );
}

describe('API black-box, daemon spawned from the CLI (docs/protocol.md §1, §3)', function () {
  this.timeout(20_000);

  before(async function () {
    this.timeout(30_000);
    daemon = await DaemonProcess.start({
      withMetrics: true,
      gossip: { cache_size: CACHE_SIZE, validation_timeout: VALIDATION_TIMEOUT_S, degree: 4, max_peers: 8 },
    });
    peerX = await FakePeer.join(daemon.p2p, '127.0.0.2');
    peerY = await FakePeer.join(daemon.p2p, '127.0.0.3');
    await waitFor(
      async () => (await daemon.metric('gossip_peers', { state: 'active' })) === 2,
      'both fake peers active',
    );
    probe = await ApiProbe.open(daemon.api, PROBE_TYPE);
  });

  afterEach(() => {
    // §3.1: an API client only ever receives NOTIFICATION frames (anything else would stay
    // in the inbox, since nextNotification takes 502 only).
    for (const open of openClients.splice(0)) {
      const stray = open.transport.pending().filter((frame) => frameType(frame) !== MessageType.GOSSIP_NOTIFICATION);
      open.destroy();
      assert.deepEqual(stray.map(frameType), [], 'an API client received a frame that is not a NOTIFICATION');
      assert.equal(open.transport.framingError, null);
    }
  });

  after(async () => {
    probe?.close();
    peerX?.socket.destroy();
    peerY?.socket.destroy();
    if (!daemon) return;
    const status = await daemon.stop();
    assert.equal(daemon.errorOutput.trim(), '', 'the daemon wrote to stderr');
    assert.deepEqual(status, { code: 0, signal: null }, 'the daemon did not exit cleanly on SIGTERM');
  });

  describe('NOTIFY (§3.1)', () => {
    it('one connection may subscribe to many data types', async () => {
      const [a, b] = [freshType(), freshType()];
      const listener = await subscriber(a, b);
      const announcer = await client();
      announcer.announce({ ttl: 1, dataType: a, data: freshData() });
      announcer.announce({ ttl: 1, dataType: b, data: freshData() });
      const types = [
        (await listener.nextNotification(ARRIVES_MS))?.dataType,
        (await listener.nextNotification(ARRIVES_MS))?.dataType,
      ];
      assert.deepEqual(types.sort(), [a, b].sort());
    });

    it('many connections may subscribe to one data type, and each is notified', async () => {
      const type = freshType();
      const listeners = await Promise.all([subscriber(type), subscriber(type), subscriber(type)]);
      const data = freshData();
      (await client()).announce({ ttl: 1, dataType: type, data });
      for (const listener of listeners)
        assert.equal(hex((await listener.nextNotification(ARRIVES_MS))?.data), hex(data));
    });

    it('is per connection: another connection of the same client is not notified', async () => {
      const type = freshType();
      const subscribed = await subscriber(type);
      const other = await client();
      (await client()).announce({ ttl: 1, dataType: type, data: freshData() });
      assert.ok(await subscribed.nextNotification(ARRIVES_MS));
      assert.equal(await other.nextNotification(QUIET_MS), null);
    });

    it('a subscriber hears nothing of the data types it did not subscribe to', async () => {
      const [wanted, unwanted] = [freshType(), freshType()];
      const listener = await subscriber(wanted);
      const announcer = await client();
      announcer.announce({ ttl: 1, dataType: unwanted, data: freshData() });
      announcer.announce({ ttl: 1, dataType: wanted, data: freshData() });
      assert.equal((await listener.nextNotification(ARRIVES_MS))?.dataType, wanted);
      assert.equal(await listener.nextNotification(QUIET_MS), null);
    });

    it('subscriptions end when the connection closes: nothing is delivered to it any more', async () => {
      const type = freshType();
      const leaving = await subscriber(type);
      const staying = await subscriber(type);
      const leavingPort = leaving.transport.socket.localPort!;
      leaving.destroy();
      await logFor(leavingPort, 'closed'); // logged as the daemon forgets the connection and its subscriptions
      const before = await daemon.metric('gossip_items_delivered_total');
      (await client()).announce({ ttl: 1, dataType: type, data: freshData() });
      // Every subscriber is notified in one go: once one has it, the count is final.
      assert.ok(await staying.nextNotification(ARRIVES_MS));
      assert.equal(
        (await daemon.metric('gossip_items_delivered_total')) - before,
        1,
        'a NOTIFICATION went to the closed connection',
      );
    });
  });

  describe('ANNOUNCE (§3.1)', () => {
    it('notifies every OTHER subscribed connection, not the announcer', async () => {
      const type = freshType();
      const [first, second] = await Promise.all([subscriber(type), subscriber(type)]);
      const announcer = await subscriber(type);
      const data = freshData(100);
      announcer.announce({ ttl: 3, dataType: type, data });
      for (const listener of [first, second]) {
        const got = await listener.nextNotification(ARRIVES_MS);
        assert.equal(got?.dataType, type);
        assert.equal(hex(got?.data), hex(data));
      }
      assert.equal(await announcer.nextNotification(QUIET_MS), null, 'the announcer was notified of its own item');
    });

    it('pushes a local item to every peer at once, with its ttl, without waiting for validation', async () => {
      const type = freshType();
      await subscriber(type); // notified, never validates: a local item is trusted
      const data = freshData();
      (await client()).announce({ ttl: 7, dataType: type, data });
      for (const peer of [peerX, peerY]) {
        const pushed = await peer.nextAnnounce(ARRIVES_MS, (announce) => announce.dataType === type);
        assert.deepEqual(pushed && { ttl: pushed.ttl, data: hex(pushed.data) }, { ttl: 7, data: hex(data) });
      }
    });

    it('a duplicate item is delivered once (§4.4 seen-set)', async () => {
      const type = freshType();
      const listener = await subscriber(type);
      const announcer = await client();
      const data = freshData();
      announcer.announce({ ttl: 1, dataType: type, data });
      announcer.announce({ ttl: 1, dataType: type, data });
      assert.ok(await listener.nextNotification(ARRIVES_MS));
      assert.equal(await listener.nextNotification(QUIET_MS), null);
    });

    it('gives each NOTIFICATION a random 16-bit message ID unique among the pending ones', async () => {
      // Nobody validates, so every ID stays pending for validation_timeout. 1,000 random
      // IDs out of 65,536 would collide about 7.6 times if uniqueness were not enforced.
      const type = freshType();
      const listener = await subscriber(type);
      const announcer = await client();
      const started = Date.now();
      const count = 1_000;
      for (let i = 0; i < count; i++) announcer.announce({ ttl: 1, dataType: type, data: freshData() });
      const ids: number[] = [];
      for (let i = 0; i < count; i++) {
        const got = await listener.nextNotification(ARRIVES_MS);
        assert.ok(got, `notification ${i} of ${count} missing`);
        ids.push(got.messageId);
      }
      assert.ok(
        Date.now() - started < VALIDATION_TIMEOUT_S * 1000,
        'too slow: IDs may have expired and been reused legitimately',
      );
      assert.equal(new Set(ids).size, count, 'two pending NOTIFICATIONs share a message ID');
      const sequential = ids.filter((id, i) => i > 0 && id === ((ids[i - 1]! + 1) & 0xffff)).length;
      assert.ok(sequential < count / 10, `message IDs look sequential (${sequential} of ${count}), not random`);
    });

    it('processes an ANNOUNCE whose sender disconnects right after it', async () => {
      const type = freshType();
      const listener = await subscriber(type);
      const data = freshData();
      const socket = net.connect(daemon.api.port, daemon.api.host);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.end(GossipAnnounce.encode({ ttl: 1, dataType: type, data })); // write and FIN in one go
      assert.equal(hex((await listener.nextNotification(ARRIVES_MS))?.data), hex(data));
    });

    it('processes an ANNOUNCE that shares its write with a bad header after it (§1: only later bytes are lost)', async () => {
      const type = freshType();
      const listener = await subscriber(type);
      const data = freshData();
      const sender = await client();
      sender.sendRaw(
        concat(GossipAnnounce.encode({ ttl: 1, dataType: type, data }), Uint8Array.of(0x00, 0x02, 0xff, 0xff)),
      );
      assert.equal(await sender.waitClosed(ARRIVES_MS), true, 'the bad header closes the sender');
      assert.equal(hex((await listener.nextNotification(ARRIVES_MS))?.data), hex(data));
    });

    it('processes an ANNOUNCE followed at once by a reset (RST)', async () => {
      const type = freshType();
      const listener = await subscriber(type);
      const data = freshData();
      const socket = net.connect(daemon.api.port, daemon.api.host);
      await new Promise((resolve) => socket.once('connect', resolve));
      await new Promise<void>((resolve) =>
        socket.write(GossipAnnounce.encode({ ttl: 1, dataType: type, data }), () => resolve()),
      );
      socket.resetAndDestroy();
      assert.equal(hex((await listener.nextNotification(ARRIVES_MS))?.data), hex(data));
    });
  });

  describe('VALIDATION and items from peers (§3.1)', () => {
    it('reads valid as `word & 1`: 0xFFFF is valid=1 (reserved bits ignored, no close), the item is forwarded', async () => {
      const type = freshType();
      const validator = await subscriber(type);
      const data = freshData();
      peerX.announce({ ttl: 5, dataType: type, data });
      const notification = await validator.nextNotification(ARRIVES_MS);
      assert.ok(notification);
      validator.sendRaw(
        rawFrame(8, MessageType.GOSSIP_VALIDATION, [
          notification.messageId >> 8,
          notification.messageId & 0xff,
          0xff,
          0xff,
        ]),
      );
      const forwarded = await peerY.nextAnnounce(ARRIVES_MS, (announce) => announce.dataType === type);
      assert.deepEqual(
        forwarded && { ttl: forwarded.ttl, data: hex(forwarded.data) },
        { ttl: 4, data: hex(data) },
        'ttl 5 arrives as 4 (§4.4)',
      );
      assert.equal(await validator.waitClosed(QUIET_MS), false, 'reserved bits closed the connection');
    });

    it('reads valid as `word & 1`: 0xFFFE is valid=0, the item is dropped and counted invalid', async () => {
      const type = freshType();
      const validator = await subscriber(type);
      const invalidBefore = await daemon.metric('gossip_items_invalid_total');
      peerX.announce({ ttl: 5, dataType: type, data: freshData() });
      const notification = await validator.nextNotification(ARRIVES_MS);
      assert.ok(notification);
      validator.sendRaw(
        rawFrame(8, MessageType.GOSSIP_VALIDATION, [
          notification.messageId >> 8,
          notification.messageId & 0xff,
          0xff,
          0xfe,
        ]),
      );
      assert.equal(
        await peerY.nextAnnounce(QUIET_MS, (announce) => announce.dataType === type),
        null,
        'an invalid item was forwarded',
      );
      assert.equal((await daemon.metric('gossip_items_invalid_total')) - invalidBefore, 1);
      assert.equal(await validator.waitClosed(QUIET_MS), false, 'reserved bits closed the connection');
    });

    it('ignores a VALIDATION for an unknown message ID (no close, no effect)', async () => {
      const type = freshType();
      const validator = await subscriber(type);
      peerX.announce({ ttl: 5, dataType: type, data: freshData() });
      const notification = await validator.nextNotification(ARRIVES_MS);
      assert.ok(notification);
      const unknownId = (notification.messageId + 1) & 0xffff;
      // Would drop the item if it were taken for ours; handled before the next (one connection's frames in order).
      validator.validate(unknownId, false);
      validator.validate(notification.messageId, true);
      assert.ok(
        await peerY.nextAnnounce(ARRIVES_MS, (announce) => announce.dataType === type),
        'an unknown ID changed the outcome',
      );
      validator.validate(notification.messageId, false); // now expired/answered: ignored as well
      assert.equal(await validator.waitClosed(QUIET_MS), false);
    });

    it('forwards a peer item only after EVERY notified subscriber answered valid=1', async () => {
      const type = freshType();
      const [first, second] = await Promise.all([subscriber(type), subscriber(type)]);
      peerX.announce({ ttl: 0, dataType: type, data: freshData() });
      const [one, two] = [await first.nextNotification(ARRIVES_MS), await second.nextNotification(ARRIVES_MS)];
      assert.ok(one && two);
      first.validate(one.messageId, true);
      assert.equal(
        await peerY.nextAnnounce(QUIET_MS, (announce) => announce.dataType === type),
        null,
        'forwarded before every validator answered',
      );
      second.validate(two.messageId, true);
      const forwarded = await peerY.nextAnnounce(ARRIVES_MS, (announce) => announce.dataType === type);
      assert.equal(forwarded?.ttl, 0, 'ttl 0 stays 0 (§4.4)');
    });

    it('a subscriber that disconnects no longer counts for the validation', async () => {
      const type = freshType();
      const [staying, leaving] = await Promise.all([subscriber(type), subscriber(type)]);
      peerX.announce({ ttl: 3, dataType: type, data: freshData() });
      const notification = await staying.nextNotification(ARRIVES_MS);
      assert.ok(notification && (await leaving.nextNotification(ARRIVES_MS)));
      staying.validate(notification.messageId, true);
      leaving.destroy();
      assert.ok(await peerY.nextAnnounce(ARRIVES_MS, (announce) => announce.dataType === type));
    });

    it('drops a peer item nobody validates within validation_timeout', async function () {
      this.timeout(VALIDATION_TIMEOUT_S * 1000 + 10_000);
      const type = freshType();
      const silent = await subscriber(type);
      const droppedBefore = await daemon.metric('gossip_items_dropped_total', { reason: 'validation-timeout' });
      peerX.announce({ ttl: 3, dataType: type, data: freshData() });
      const notification = await silent.nextNotification(ARRIVES_MS);
      assert.ok(notification);
      await waitFor(
        async () =>
          (await daemon.metric('gossip_items_dropped_total', { reason: 'validation-timeout' })) - droppedBefore >= 1,
        'the item dropped at its validation timeout',
        VALIDATION_TIMEOUT_S * 1000 + ARRIVES_MS,
      );
      assert.equal(
        (await daemon.metric('gossip_items_dropped_total', { reason: 'validation-timeout' })) - droppedBefore,
        1,
      );
      silent.validate(notification.messageId, true); // too late: ignored
      assert.equal(
        await peerY.nextAnnounce(QUIET_MS, (announce) => announce.dataType === type),
        null,
        'forwarded after the timeout',
      );
    });

    it('neither delivers nor forwards a peer item of a type no local module subscribed to', async () => {
      const type = freshType();
      const bystander = await subscriber(freshType());
      const before = await daemon.metric('gossip_items_dropped_total', { reason: 'unsubscribed' });
      peerX.announce({ ttl: 0, dataType: type, data: freshData() });
      assert.equal(await peerY.nextAnnounce(QUIET_MS, (announce) => announce.dataType === type), null);
      assert.equal(await bystander.nextNotification(50), null);
      assert.equal((await daemon.metric('gossip_items_dropped_total', { reason: 'unsubscribed' })) - before, 1);
    });
  });

  describe('knowledge base (§5 cache_size)', () => {
    it(`keeps at most cache_size (${CACHE_SIZE}) items, evicting the oldest first`, async () => {
      // Peer items wait in the knowledge base for validation; an evicted one is lost and
      // counted (dropped{reason="cache-evicted"}), so the bound is visible from outside.
      const type = freshType();
      const validator = await subscriber(type);
      const evictedBefore = await daemon.metric('gossip_items_dropped_total', { reason: 'cache-evicted' });
      const extra = 5;
      const sent = Array.from({ length: CACHE_SIZE + extra }, () => freshData());
      for (const data of sent) peerX.announce({ ttl: 0, dataType: type, data });
      const notifications = [];
      // Items are evicted as later ones are added: once the last is notified, the count is final.
      for (let i = 0; i < sent.length; i++) notifications.push(await validator.nextNotification(ARRIVES_MS));
      assert.equal(
        (await daemon.metric('gossip_items_dropped_total', { reason: 'cache-evicted' })) - evictedBefore,
        extra,
      );
      const [oldest, newest] = [notifications[0], notifications[sent.length - 1]];
      assert.ok(oldest && newest);
      validator.validate(oldest.messageId, true);
      validator.validate(newest.messageId, true);
      const forwarded = await peerY.nextAnnounce(ARRIVES_MS, (announce) => announce.dataType === type);
      assert.equal(hex(forwarded?.data), hex(newest.data), 'the newest item was not kept');
      assert.equal(
        await peerY.nextAnnounce(QUIET_MS, (announce) => announce.dataType === type),
        null,
        'the oldest item was not evicted',
      );
    });
  });

  describe('what an API client receives (§1, §3.1)', () => {
    it('each NOTIFICATION arrives whole: a client reading the 2-byte size, then the rest at once, never waits mid-frame', async () => {
      const type = freshType();
      const reader = await SizeThenRestReader.connect(daemon.api);
      reader.socket.write(GossipNotify.encode({ dataType: type }));
      await probe.handled((frame) => reader.socket.write(frame));
      const announcer = await client();
      const sizes = [0, 1, 100, 4_096, 30_000, 60_000, 65_527];
      for (const size of sizes) {
        // One at a time, so that no two frames share a read and a read boundary is a write boundary.
        announcer.announce({ ttl: 1, dataType: type, data: freshData(Math.max(size, 4)) });
        await waitFor(async () => reader.frames.length > sizes.indexOf(size), `NOTIFICATION of ${size} bytes`);
      }
      reader.socket.destroy();
      assert.equal(reader.waitedMidFrame, 0, 'a frame was split across writes');
      assert.deepEqual(
        reader.frames.map(frameType),
        sizes.map(() => MessageType.GOSSIP_NOTIFICATION),
      );
      assert.deepEqual(
        reader.frames.map((frame) => frame.length),
        sizes.map((size) => Math.max(size, 4) + 8),
      );
    });

    it('every chunk a client reads starts at a frame boundary when notifications come one by one', async () => {
      const type = freshType();
      const listener = await subscriber(type);
      const announcer = await client();
      const frameLengths: number[] = [];
      for (let i = 0; i < 50; i++) {
        const data = freshData(4 + ((i * 977) % 5_000));
        announcer.announce({ ttl: 1, dataType: type, data });
        assert.ok(await listener.nextNotification(ARRIVES_MS));
        frameLengths.push(data.length + 8);
      }
      // One chunk per frame: none was split across writes (nor merged, since we waited).
      assert.deepEqual(listener.transport.chunkLengths, frameLengths);
    });
  });

  describe('malformed input closes THAT connection only (§1)', () => {
    const notifyBody = [0, 0, 0x75, 0x30];
    const cases: Array<{ name: string; bytes: Uint8Array }> = [
      { name: 'size 0 (< 4)', bytes: rawFrame(0, MessageType.GOSSIP_NOTIFY, notifyBody) },
      { name: 'size 3 (< 4)', bytes: rawFrame(3, MessageType.GOSSIP_NOTIFY, notifyBody) },
      {
        name: 'NOTIFY with size 10 (fixed size is 8)',
        bytes: rawFrame(10, MessageType.GOSSIP_NOTIFY, [...notifyBody, 0, 0]),
      },
      {
        name: 'NOTIFY with size 6 (fixed size is 8, truncated)',
        bytes: rawFrame(6, MessageType.GOSSIP_NOTIFY, [0, 0]),
      },
      { name: 'NOTIFY with size 9 (trailing byte)', bytes: rawFrame(9, MessageType.GOSSIP_NOTIFY, [...notifyBody, 0]) },
      {
        name: 'VALIDATION with size 12 (fixed size is 8)',
        bytes: rawFrame(12, MessageType.GOSSIP_VALIDATION, [0, 1, 0, 1, 0, 0, 0, 0]),
      },
      { name: 'VALIDATION with size 7 (truncated)', bytes: rawFrame(7, MessageType.GOSSIP_VALIDATION, [0, 1, 0]) },
      {
        name: 'ANNOUNCE with size 6 (shorter than its 8-byte fixed part)',
        bytes: rawFrame(6, MessageType.GOSSIP_ANNOUNCE, [1, 0]),
      },
      { name: 'header only, size 4, type NOTIFY (truncated)', bytes: rawFrame(4, MessageType.GOSSIP_NOTIFY) },
      { name: 'unknown type 1234', bytes: rawFrame(8, 1234, notifyBody) },
      { name: 'unknown type 0', bytes: rawFrame(4, 0) },
      { name: 'unknown type 65535', bytes: rawFrame(8, 65535, notifyBody) },
      { name: 'reserved Gossip type 509', bytes: rawFrame(8, 509, notifyBody) },
      {
        name: 'NOTIFICATION 502 from a client',
        bytes: GossipNotification.encode({ messageId: 1, dataType: 1, data: new Uint8Array(4) }),
      },
      { name: 'P2P PEER REQUEST 504 from a client', bytes: GossipPeerRequest.encode({ limit: 4, nonce: 1n }) },
      {
        name: 'P2P PEER RESPONSE 505 from a client',
        bytes: GossipPeerResponse.encode({ nonce: 1n, challenge: 0n, isIpv6: false, entries: [] }),
      },
      { name: 'P2P VERIFICATION REQUEST 506 from a client', bytes: GossipVerificationRequest.encode({ nonce: 1n }) },
      {
        name: 'P2P VERIFICATION RESPONSE 507 from a client',
        bytes: GossipVerificationResponse.encode({ nonce: 1n, challenge: 0n }),
      },
      { name: 'P2P HELLO 508 from a client', bytes: GossipHello.encode({ listenPort: 6001 }) },
      { name: 'NSE type 520', bytes: rawFrame(8, 520, notifyBody) },
      { name: 'RPS type 540', bytes: rawFrame(8, 540, notifyBody) },
      { name: 'Onion type 560', bytes: rawFrame(8, 560, notifyBody) },
      { name: 'Onion Auth type 600', bytes: rawFrame(8, 600, notifyBody) },
      { name: 'DHT type 650', bytes: rawFrame(8, 650, notifyBody) },
      { name: 'Enroll type 680', bytes: rawFrame(8, 680, notifyBody) },
    ];

    for (const { name, bytes } of cases) {
      it(`closes on ${name}, logs why at debug, and keeps serving others`, async () => {
        const type = freshType();
        const bystander = await subscriber(type);
        const offender = await client();
        offender.sendRaw(bytes);
        assert.equal(await offender.waitClosed(ARRIVES_MS), true, 'the offending connection stayed open');
        const log = await logFor(offender.transport.socket.localPort!, 'closing');
        assert.equal(log.level, 20, 'the close is logged at debug');
        const data = freshData();
        (await client()).announce({ ttl: 1, dataType: type, data });
        assert.equal(
          hex((await bystander.nextNotification(ARRIVES_MS))?.data),
          hex(data),
          'the bystander lost its subscription',
        );
        await assertStillServed();
      });
    }

    it('a malformed frame after good ones still only closes that connection, after the good ones took effect', async () => {
      const type = freshType();
      const listener = await subscriber(type);
      const offender = await client();
      const data = freshData();
      offender.sendRaw(concat(GossipAnnounce.encode({ ttl: 1, dataType: type, data }), rawFrame(8, 650, notifyBody)));
      assert.equal(await offender.waitClosed(ARRIVES_MS), true);
      assert.equal(hex((await listener.nextNotification(ARRIVES_MS))?.data), hex(data));
    });
  });

  describe('framing on the byte stream (§1)', () => {
    it('accepts frames split into 1-byte writes', async () => {
      const type = freshType();
      const socket = await FramedSocket.connect(daemon.api);
      const data = freshData(40);
      const stream = concat(
        GossipNotify.encode({ dataType: type }),
        GossipAnnounce.encode({ ttl: 1, dataType: freshType(), data }),
      );
      await writeByteByByte(socket, stream);
      await probe.handled((frame) => socket.write(frame));
      const announcer = await client();
      const item = freshData();
      announcer.announce({ ttl: 1, dataType: type, data: item });
      const frame = await socket.take(ARRIVES_MS);
      socket.destroy();
      assert.ok(frame, 'the NOTIFY sent byte by byte did not subscribe');
      assert.equal(hex(GossipNotification.decode(frame).data), hex(item));
    });

    it('accepts an ANNOUNCE split into 1-byte writes', async () => {
      const type = freshType();
      const listener = await subscriber(type);
      const socket = await FramedSocket.connect(daemon.api);
      const data = freshData(30);
      await writeByteByByte(socket, GossipAnnounce.encode({ ttl: 1, dataType: type, data }));
      assert.equal(hex((await listener.nextNotification(ARRIVES_MS))?.data), hex(data));
      socket.destroy();
    });

    it('accepts many frames in one write', async () => {
      const [a, b] = [freshType(), freshType()];
      const listener = await client();
      listener.sendRaw(
        concat(
          GossipNotify.encode({ dataType: a }),
          GossipNotify.encode({ dataType: b }),
          GossipValidation.encode({ messageId: 7, valid: true }),
        ),
      );
      await probe.handled(listener);
      const items = Array.from({ length: 100 }, (_, i) => ({
        ttl: 1,
        dataType: i % 2 === 0 ? a : b,
        data: freshData(),
      }));
      (await client()).sendRaw(concat(...items.map((item) => GossipAnnounce.encode(item))));
      for (const item of items) {
        const got = await listener.nextNotification(ARRIVES_MS);
        assert.deepEqual(got && { dataType: got.dataType, data: hex(got.data) }, {
          dataType: item.dataType,
          data: hex(item.data),
        });
      }
    });
  });
});

// ---- helpers ----

/** Bytes as hex: codecs may hand back a Buffer or a Uint8Array view, equal bytes either way. */
function hex(bytes: Uint8Array | null | undefined): string | null {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex') : null;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = ARRIVES_MS * 2): Promise<void> {
  return poll(check, what, timeoutMs);
}

/**
 * Writes `bytes` one at a time, each after the previous one left for the kernel: with
 * TCP_NODELAY (FramedSocket) each goes out in its own segment.
 */
async function writeByteByByte(socket: FramedSocket, bytes: Uint8Array): Promise<void> {
  for (const byte of bytes) {
    await new Promise<void>((resolve, reject) =>
      socket.socket.write(Uint8Array.of(byte), (error) => (error ? reject(error) : resolve())),
    );
  }
}

/**
 * A "simple client" of §1: reads the 2-byte size, then the rest of the frame with one read.
 * With Node's stream, "one read" is `socket.read(rest)` right after the size: it returns
 * null only if the frame's bytes have not all arrived, i.e. the frame came in pieces.
 */
class SizeThenRestReader {
  readonly frames: Uint8Array[] = [];
  /** Times the rest of a frame was not there right after its size: a split frame. */
  waitedMidFrame = 0;
  private size: number | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('readable', () => this.drain());
  }

  static async connect(endpoint: Endpoint): Promise<SizeThenRestReader> {
    const socket = net.connect(endpoint.port, endpoint.host);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new SizeThenRestReader(socket);
  }

  private drain(): void {
    for (;;) {
      if (this.size === null) {
        const header = this.socket.read(SIZE_FIELD_END) as Buffer | null;
        if (header === null) return;
        this.size = frameSizeOf(header);
      }
      const rest = this.socket.read(this.size - SIZE_FIELD_END) as Buffer | null;
      if (rest === null) {
        this.waitedMidFrame++;
        return;
      }
      const frame = new Uint8Array(this.size);
      frame[0] = this.size >> 8;
      frame[1] = this.size & 0xff;
      frame.set(rest, 2);
      this.frames.push(frame);
      this.size = null;
    }
  }
}

/**
 * A minimal peer for the P2P port (docs/protocol.md §4.2): dials from its own loopback address,
 * says HELLO, and answers the daemon's VERIFICATION REQUEST with challenge 0, which passes at
 * pow_difficulty 0. It does not verify the daemon's proof (not what these tests are about).
 */
class FakePeer {
  private constructor(readonly socket: FramedSocket) {}

  static async join(p2p: Endpoint, localHost: string): Promise<FakePeer> {
    const socket = await FramedSocket.connect(p2p, 5_000, localHost);
    // A listen port nobody listens on: the daemon only records it (§4.2 item 3).
    socket.write(GossipHello.encode({ listenPort: 9 }));
    socket.write(GossipVerificationRequest.encode({ nonce: 42n }));
    const request = await socket.take(
      ARRIVES_MS,
      (frame) => frameType(frame) === MessageType.GOSSIP_VERIFICATION_REQUEST,
    );
    if (!request) throw new Error(`fake peer ${localHost}: no VERIFICATION REQUEST (${socket.closeReason ?? 'open'})`);
    const { nonce } = GossipVerificationRequest.decode(request);
    socket.write(GossipVerificationResponse.encode({ nonce, challenge: 0n }));
    const proof = await socket.take(10_000, (frame) => frameType(frame) === MessageType.GOSSIP_VERIFICATION_RESPONSE);
    if (!proof) throw new Error(`fake peer ${localHost}: no VERIFICATION RESPONSE (${socket.closeReason ?? 'open'})`);
    return new FakePeer(socket);
  }

  announce(message: GossipAnnounce): void {
    this.socket.write(GossipAnnounce.encode(message));
  }

  /** The next ANNOUNCE the daemon pushed that `accepts`, or null after `timeoutMs`. */
  async nextAnnounce(
    timeoutMs: number,
    accepts: (announce: GossipAnnounce) => boolean,
  ): Promise<GossipAnnounce | null> {
    const frame = await this.socket.take(
      timeoutMs,
      (candidate) => frameType(candidate) === MessageType.GOSSIP_ANNOUNCE && accepts(GossipAnnounce.decode(candidate)),
    );
    return frame && GossipAnnounce.decode(frame);
  }
}
