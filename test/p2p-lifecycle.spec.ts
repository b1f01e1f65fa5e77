/**
 * The P2P connection life cycle (docs/protocol.md §4.1–§4.3) against one daemon, driven by a
 * hand-written peer: who misbehaves is disconnected and never enters the known-peers list.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { frameTypeOf, GossipAnnounce, GossipPeerRequest, GossipPeerResponse, MessageType } from '../generated/index.js';
import { defaultConfig, type GossipConfig } from '../runtime/config.js';
import { startDaemon, type Daemon } from '../runtime/daemon.js';
import { PowPool } from '../runtime/pow/pool.js';
import { ApiClient } from '../runtime/api/api-client.js';
import { TEST_CONFIG, sleep, waitFor } from './support/network.js';
import { RawPeer, solveInPlace } from './support/raw-peer.js';

const BITS = TEST_CONFIG.powDifficulty!;
const NODE_HOST = '127.0.1.1';
const PEER_HOST = '127.0.2.1';
const PEER_LISTEN_PORT = 40_001;

describe('P2P life cycle (docs/protocol.md §4.2)', function () {
  this.timeout(30_000);
  const pow = new PowPool(1);
  let daemon: Daemon;
  const peers: RawPeer[] = [];

  async function start(overrides: Partial<GossipConfig> = {}): Promise<Daemon> {
    const config: GossipConfig = {
      ...defaultConfig(),
      ...TEST_CONFIG,
      apiAddress: { host: NODE_HOST, port: 0, family: 4 },
      p2pAddress: { host: NODE_HOST, port: 0, family: 4 },
      ...overrides,
    };
    return startDaemon(config, pino({ level: process.env.GOSSIP_TEST_LOG ?? 'silent' }), { pow });
  }

  async function dialNode(from = PEER_HOST): Promise<RawPeer> {
    const peer = await RawPeer.dial(NODE_HOST, daemon.p2p.port, from);
    peers.push(peer);
    return peer;
  }

  const isListed = (host: string, port: number) => daemon.overlay.known.has({ host, port });

  beforeEach(async () => {
    daemon = await start();
  });
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.close();
    await daemon.close();
  });
  after(() => pow.close());

  it('lists a peer whose proof checks out, under its HELLO port (positive control)', async () => {
    const peer = await dialNode();
    peer.sendHello(PEER_LISTEN_PORT);
    peer.sendVerificationRequest();
    await peer.answerVerification(BITS);
    await peer.expectVerificationResponse();
    await waitFor('the peer to be listed', () => isListed(PEER_HOST, PEER_LISTEN_PORT));
  });

  /** A raw peer through the whole handshake: verified and listed. */
  async function verifiedPeer(from: string, listenPort: number): Promise<RawPeer> {
    const peer = await dialNode(from);
    peer.sendHello(listenPort);
    peer.sendVerificationRequest();
    await peer.answerVerification(BITS);
    await peer.expectVerificationResponse();
    await waitFor('the peer to be listed', () => isListed(from, listenPort));
    return peer;
  }

  for (const [name, bytes] of [
    ['a truncated ANNOUNCE header (size 6)', Buffer.from('000601f40000', 'hex')],
    ['a VERIFICATION REQUEST of the wrong size', Buffer.from('000e01fa0000000000000001ffff', 'hex')],
    ['an API type (NOTIFY 501) on the P2P port', Buffer.from('000801f500000001', 'hex')],
    ['an unknown type (520, NSE)', Buffer.from('0004' + '0208', 'hex')],
    // §4.8: the tree's messages are framed like any other (§1).
    ['an IHAVE whose id is cut short', Buffer.from('000c01fd' + '00000000' + '01020304', 'hex')],
    ['a GRAFT of 257 ids (over its largest size)', Buffer.from('081001fe' + '00000000' + '00'.repeat(257 * 8), 'hex')],
    ['a PRUNE of 12 bytes', Buffer.from('000c01ff' + '00000000' + '00000000', 'hex')],
  ] as const) {
    it(`§1: ${name} from a verified peer closes that link only, which leaves the known list`, async () => {
      const bad = await verifiedPeer('127.0.2.1', 40_010);
      const good = await verifiedPeer('127.0.2.2', 40_011);
      bad.send(bytes);
      assert.equal(await bad.isClosedWithin(3_000), true);
      await waitFor('the bad peer to leave the list', () => !isListed('127.0.2.1', 40_010), 1_000);
      assert.equal(good.socket.isClosed, false);
      assert.equal(isListed('127.0.2.2', 40_011), true);
      assert.equal(daemon.overlay.activeLinks.length, 1);
    });
  }

  it('§4.4: forwards a validated item to every link except those that sent it a copy', async () => {
    const subscriber = await ApiClient.connect(`${daemon.api.address}:${daemon.api.port}`);
    subscriber.notify(9);
    const [first, second, third] = [
      await verifiedPeer('127.0.2.1', 40_021),
      await verifiedPeer('127.0.2.2', 40_022),
      await verifiedPeer('127.0.2.3', 40_023),
    ];
    const announce = GossipAnnounce.encode({ ttl: 0, dataType: 9, data: Buffer.from('two copies') });
    first.send(announce);
    const notification = await subscriber.nextNotification(3_000);
    assert.ok(notification, 'the subscriber is notified');
    second.send(announce); // a copy arrives while the item waits for validation
    await sleep(100);
    subscriber.validate(notification.messageId, true);
    const forwarded = await third.expect(MessageType.GOSSIP_ANNOUNCE);
    assert.equal(Buffer.from(forwarded.frame.message.data).toString(), 'two copies');
    for (const sender of [first, second]) {
      const echo = await sender.socket.take(300, (frame) => frameTypeOf(frame) === MessageType.GOSSIP_ANNOUNCE);
      assert.equal(echo, null, 'a peer that sent the item does not get it back');
    }
    subscriber.destroy();
  });

  it('§4.2: holds at most max_peers unverified inbound links (each costs a proof)', async () => {
    await daemon.close();
    daemon = await start({ degree: 1, maxPeers: 2 });
    const waiting = [await dialNode('127.0.2.1'), await dialNode('127.0.2.2')];
    for (const peer of waiting) await peer.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
    const third = await dialNode('127.0.2.3');
    assert.equal(await third.isClosedWithin(2_000), true, 'a third unverified link is refused');
    assert.equal(
      waiting.some((peer) => peer.socket.isClosed),
      false,
    );
  });

  it('§4.1: disconnects a proof with too few zero bits and never lists it', async () => {
    const peer = await dialNode();
    peer.sendHello(PEER_LISTEN_PORT);
    peer.sendVerificationRequest();
    await peer.answerVerification(BITS, 'bad-proof');
    assert.equal(await peer.isClosedWithin(3_000), true);
    assert.equal(isListed(PEER_HOST, PEER_LISTEN_PORT), false);
  });

  it('§4.1: disconnects a proof for a wrong nonce and never lists it', async () => {
    const peer = await dialNode();
    peer.sendHello(PEER_LISTEN_PORT);
    await peer.answerVerification(BITS, 'wrong-nonce');
    assert.equal(await peer.isClosedWithin(3_000), true);
    assert.equal(isListed(PEER_HOST, PEER_LISTEN_PORT), false);
  });

  it('§4.1: a nonce is used once: a replayed VERIFICATION RESPONSE disconnects and unlists', async () => {
    const peer = await dialNode();
    peer.sendHello(PEER_LISTEN_PORT);
    peer.sendVerificationRequest();
    const response = await peer.answerVerification(BITS);
    await peer.expectVerificationResponse();
    await waitFor('the peer to be listed', () => isListed(PEER_HOST, PEER_LISTEN_PORT));
    peer.send(response);
    assert.equal(await peer.isClosedWithin(3_000), true);
    await waitFor('the peer to leave the list', () => !isListed(PEER_HOST, PEER_LISTEN_PORT), 1_000);
  });

  it('§4.1: a proof replayed from an earlier connection disconnects', async () => {
    const first = await dialNode();
    first.sendHello(PEER_LISTEN_PORT);
    const captured = await first.answerVerification(BITS);
    first.close();
    const second = await dialNode('127.0.2.2');
    second.sendHello(PEER_LISTEN_PORT);
    await second.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
    second.send(captured);
    assert.equal(await second.isClosedWithin(3_000), true);
    assert.equal(isListed('127.0.2.2', PEER_LISTEN_PORT), false);
  });

  it('§4.2: gossip before verification disconnects and is not delivered', async () => {
    const peer = await dialNode();
    peer.sendHello(PEER_LISTEN_PORT);
    peer.sendVerificationRequest();
    peer.send(GossipAnnounce.encode({ ttl: 0, dataType: 1, data: Buffer.from('too early') }));
    assert.equal(await peer.isClosedWithin(3_000), true);
    assert.equal(isListed(PEER_HOST, PEER_LISTEN_PORT), false);
    assert.equal(daemon.handler.knowledge.size, 0);
  });

  it('§4.2: a PEER REQUEST before verification disconnects', async () => {
    const peer = await dialNode();
    peer.sendHello(PEER_LISTEN_PORT);
    peer.send(GossipPeerRequest.encode({ limit: 5, nonce: 1n }));
    assert.equal(await peer.isClosedWithin(3_000), true);
  });

  it('§4.1: a proof arriving after verification_timeout disconnects', async () => {
    await daemon.close();
    daemon = await start({ verificationTimeoutMs: 300 });
    const peer = await dialNode();
    peer.sendHello(PEER_LISTEN_PORT);
    peer.sendVerificationRequest();
    await peer.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
    // No proof comes: the node closes the link at verification_timeout (300 ms here).
    assert.equal(await peer.isClosedWithin(3_000), true);
    assert.equal(isListed(PEER_HOST, PEER_LISTEN_PORT), false);
  });

  it('§4.3: caps known peers per /24 once the loopback exemption is lifted', async () => {
    await daemon.close();
    daemon = await start({ subnetCapExemptLoopback: false, subnetCapV4: 2 });
    const outcomes: boolean[] = [];
    for (const host of ['127.0.2.1', '127.0.2.2', '127.0.2.3']) {
      const peer = await dialNode(host);
      peer.sendHello(PEER_LISTEN_PORT);
      peer.sendVerificationRequest();
      await peer.answerVerification(BITS);
      await waitFor('listing or closing', () => isListed(host, PEER_LISTEN_PORT) || peer.socket.isClosed, 3_000);
      outcomes.push(isListed(host, PEER_LISTEN_PORT));
    }
    assert.deepEqual(outcomes, [true, true, false]);
    assert.equal(await peers[2]!.isClosedWithin(2_000), true);
    assert.equal(peers[0]!.socket.isClosed, false);
  });

  describe('peer exchange (§4.3)', () => {
    /** A raw peer the daemon bootstraps from: the daemon dials it and asks it for peers. */
    async function bootstrapFromRawPeer(): Promise<{ peer: RawPeer; close: () => void }> {
      await daemon.close();
      const listener = await RawPeer.listen(PEER_HOST);
      daemon = await start({ bootstrapper: { host: PEER_HOST, port: listener.port, family: 4 } });
      const peer = await listener.accepted;
      peers.push(peer);
      const { frame: hello } = await peer.expect(MessageType.GOSSIP_HELLO);
      assert.equal(hello.message.listenPort, daemon.p2p.port, 'HELLO carries the listen port');
      // §4.2: the dialing daemon proves first; this side solves only after that checked out.
      peer.sendVerificationRequest();
      await peer.expectVerificationResponse();
      await peer.answerVerification(BITS);
      return { peer, close: () => listener.server.close() };
    }

    async function answerPeerRequest(peer: RawPeer, advertisedPort: number, alter: boolean): Promise<void> {
      const { frame } = await peer.expect(MessageType.GOSSIP_PEER_REQUEST);
      const response = GossipPeerResponse.encode({
        nonce: frame.message.nonce,
        challenge: 0n,
        isIpv6: false,
        entries: [{ addr: Uint8Array.of(127, 0, 3, 1), port: advertisedPort }],
      });
      solveInPlace(response, BITS);
      if (alter) response[response.length - 3] = 2; // 127.0.3.1 → 127.0.3.2 after solving
      peer.send(response);
    }

    it('dials the bootstrapper from its own host, asks it for peers and dials them', async () => {
      const { peer, close } = await bootstrapFromRawPeer();
      assert.equal(peer.socket.socket.remoteAddress, NODE_HOST, '§4.2 item 4: dials from its p2p host');
      const candidate = await RawPeer.listen('127.0.3.1');
      await answerPeerRequest(peer, candidate.port, false);
      const dialed = await Promise.race([candidate.accepted, sleep(3_000).then(() => null)]);
      assert.ok(dialed, 'the advertised candidate was dialed');
      peers.push(dialed);
      assert.equal(dialed.socket.socket.remoteAddress, NODE_HOST);
      await dialed.expect(MessageType.GOSSIP_HELLO);
      assert.equal(isListed('127.0.3.1', candidate.port), false, 'a candidate is not listed before it is verified');
      candidate.server.close();
      close();
    });

    /** A solved PEER RESPONSE to `nonce` for one address family. */
    function peerResponse(nonce: bigint, isIpv6: boolean): Uint8Array {
      const addr = isIpv6 ? Uint8Array.from([...new Uint8Array(15), 1]) : Uint8Array.of(127, 0, 4, 1);
      const response = GossipPeerResponse.encode({ nonce, challenge: 0n, isIpv6, entries: [{ addr, port: 46_000 }] });
      solveInPlace(response, BITS);
      return response;
    }

    it('§4.1: accepts one PEER RESPONSE per address family to a nonce, and closes on a second of one family', async () => {
      const { peer, close } = await bootstrapFromRawPeer();
      const { frame } = await peer.expect(MessageType.GOSSIP_PEER_REQUEST);
      peer.send(peerResponse(frame.message.nonce, false));
      peer.send(peerResponse(frame.message.nonce, true));
      await sleep(300);
      assert.equal(peer.socket.isClosed, false, 'one IPv4 and one IPv6 response are fine');
      peer.send(peerResponse(frame.message.nonce, false));
      assert.equal(await peer.isClosedWithin(3_000), true);
      close();
    });

    it('§4.1: closes on a PEER RESPONSE to a nonce it never sent', async () => {
      const { peer, close } = await bootstrapFromRawPeer();
      const { frame } = await peer.expect(MessageType.GOSSIP_PEER_REQUEST);
      peer.send(peerResponse(frame.message.nonce + 1n, false));
      assert.equal(await peer.isClosedWithin(3_000), true);
      close();
    });

    it('§4.2: closes when the accepting side sends HELLO', async () => {
      const { peer, close } = await bootstrapFromRawPeer();
      peer.sendHello(40_000);
      assert.equal(await peer.isClosedWithin(3_000), true);
      close();
    });

    it('disconnects a PEER RESPONSE whose address list was altered after solving', async () => {
      const { peer, close } = await bootstrapFromRawPeer();
      const candidate = await RawPeer.listen('127.0.3.2');
      await answerPeerRequest(peer, candidate.port, true);
      assert.equal(await peer.isClosedWithin(3_000), true);
      const dialed = await Promise.race([candidate.accepted, sleep(500).then(() => null)]);
      assert.equal(dialed, null, 'the altered address was never dialed');
      assert.equal(daemon.overlay.known.candidateCount, 0);
      candidate.server.close();
      close();
    });
  });
});
