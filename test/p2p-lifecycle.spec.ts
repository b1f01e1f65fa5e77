/**
 * The P2P connection life cycle (docs/protocol.md §4.1–§4.3) against one daemon, driven by a
 * hand-written peer: who misbehaves is disconnected and never enters the known-peers list.
 */
import assert from 'node:assert/strict';
import pino from 'pino';
import { SuiteListener } from '../conformance/listener.js';
import { SuitePeer } from '../conformance/peer.js';
import { closeSharedPow, disprove, prove, proveInline } from '../conformance/proofs.js';
import {
  frameTypeOf,
  GossipAnnounce,
  GossipPeerRequest,
  GossipPeerResponse,
  GossipVerificationResponse,
  MessageType,
} from '../generated/index.js';
import { defaultConfig, type GossipConfig } from '../runtime/config.js';
import { startDaemon, type Daemon } from '../runtime/daemon.js';
import { hasProofOfWork } from '../runtime/pow/verify.js';
import { PowPool } from '../runtime/pow/pool.js';
import { ApiClient } from '../runtime/api/api-client.js';
import { TEST_CONFIG, sleep, waitFor } from './support/network.js';

const BITS = TEST_CONFIG.powDifficulty!;
const NODE_HOST = '127.0.1.1';
const PEER_HOST = '127.0.2.1';
const PEER_LISTEN_PORT = 40_001;
/** The scripted peer's view of the node's settings. */
const PEER = { powDifficulty: BITS, waitMs: 5_000 };

describe('P2P life cycle (docs/protocol.md §4.2)', function () {
  this.timeout(30_000);
  const pow = new PowPool(1);
  let daemon: Daemon;
  const peers: SuitePeer[] = [];
  const listeners: SuiteListener[] = [];

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

  async function dialNode(from = PEER_HOST): Promise<SuitePeer> {
    const peer = await SuitePeer.connect({ host: NODE_HOST, port: daemon.p2p.port }, PEER, from);
    peers.push(peer);
    return peer;
  }

  const isListed = (host: string, port: number) => daemon.overlay.known.has({ host, port });

  beforeEach(async () => {
    daemon = await start();
  });
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.destroy();
    for (const listener of listeners.splice(0)) listener.destroy();
    await daemon.close();
  });
  after(async () => {
    await pow.close();
    await closeSharedPow();
  });

  it('lists a peer whose proof checks out, under its HELLO port (positive control)', async () => {
    const peer = await dialNode();
    assert.equal(await peer.handshake(PEER_LISTEN_PORT), null);
    await waitFor('the peer to be listed', () => isListed(PEER_HOST, PEER_LISTEN_PORT));
  });

  /** A scripted peer through the whole handshake: verified and listed. */
  async function verifiedPeer(from: string, listenPort: number): Promise<SuitePeer> {
    const peer = await dialNode(from);
    assert.equal(await peer.handshake(listenPort), null);
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
      bad.send(name, bytes);
      assert.equal(await bad.socket.waitClosed(3_000), true);
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
    first.send('ANNOUNCE', announce);
    const notification = await subscriber.nextNotification(3_000);
    assert.ok(notification, 'the subscriber is notified');
    second.send('ANNOUNCE (a copy)', announce); // a copy arrives while the item waits for validation
    await sleep(100);
    subscriber.validate(notification.messageId, true);
    const forwarded = await third.receive(MessageType.GOSSIP_ANNOUNCE);
    assert.equal(Buffer.from(forwarded.data).toString(), 'two copies');
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
    for (const peer of waiting) await peer.receive(MessageType.GOSSIP_VERIFICATION_REQUEST);
    const third = await dialNode('127.0.2.3');
    assert.equal(await third.socket.waitClosed(2_000), true, 'a third unverified link is refused');
    assert.equal(
      waiting.some((peer) => peer.socket.isClosed),
      false,
    );
  });

  it('§4.1: disconnects a proof with too few zero bits and never lists it', async () => {
    const peer = await dialNode();
    peer.greet(PEER_LISTEN_PORT);
    const { nonce } = await peer.receive(MessageType.GOSSIP_VERIFICATION_REQUEST);
    const bad = disprove(GossipVerificationResponse.encode({ nonce, challenge: 0n }), BITS);
    peer.send('VERIFICATION RESPONSE (too few zero bits)', bad);
    assert.equal(await peer.socket.waitClosed(3_000), true);
    assert.equal(isListed(PEER_HOST, PEER_LISTEN_PORT), false);
  });

  it('§4.1: disconnects a proof for a wrong nonce and never lists it', async () => {
    const peer = await dialNode();
    peer.hello(PEER_LISTEN_PORT);
    const { nonce } = await peer.receive(MessageType.GOSSIP_VERIFICATION_REQUEST);
    peer.send('VERIFICATION RESPONSE (wrong nonce)', await peer.answer(nonce ^ 1n));
    assert.equal(await peer.socket.waitClosed(3_000), true);
    assert.equal(isListed(PEER_HOST, PEER_LISTEN_PORT), false);
  });

  it('§4.1: a nonce is used once: a replayed VERIFICATION RESPONSE disconnects and unlists', async () => {
    const peer = await dialNode();
    peer.greet(PEER_LISTEN_PORT);
    const ours = await peer.answerTheirRequest();
    assert.ok('proof' in ours, 'the node asked for our proof');
    assert.ok('response' in (await peer.checkTheirProof()), 'the node proved our request');
    await waitFor('the peer to be listed', () => isListed(PEER_HOST, PEER_LISTEN_PORT));
    peer.send('VERIFICATION RESPONSE (replayed)', ours.proof);
    assert.equal(await peer.socket.waitClosed(3_000), true);
    await waitFor('the peer to leave the list', () => !isListed(PEER_HOST, PEER_LISTEN_PORT), 1_000);
  });

  it('§4.1: a proof replayed from an earlier connection disconnects', async () => {
    const first = await dialNode();
    first.hello(PEER_LISTEN_PORT);
    const captured = await first.answerTheirRequest();
    assert.ok('proof' in captured, 'the node asked for our proof');
    first.destroy();
    const second = await dialNode('127.0.2.2');
    second.hello(PEER_LISTEN_PORT);
    await second.receive(MessageType.GOSSIP_VERIFICATION_REQUEST);
    second.send('VERIFICATION RESPONSE (from the first connection)', captured.proof);
    assert.equal(await second.socket.waitClosed(3_000), true);
    assert.equal(isListed('127.0.2.2', PEER_LISTEN_PORT), false);
  });

  it('§4.2: gossip before verification disconnects and is not delivered', async () => {
    const peer = await dialNode();
    peer.greet(PEER_LISTEN_PORT);
    peer.send('ANNOUNCE', GossipAnnounce.encode({ ttl: 0, dataType: 1, data: Buffer.from('too early') }));
    assert.equal(await peer.socket.waitClosed(3_000), true);
    assert.equal(isListed(PEER_HOST, PEER_LISTEN_PORT), false);
    assert.equal(daemon.handler.knowledge.size, 0);
  });

  it('§4.2: a PEER REQUEST before verification disconnects', async () => {
    const peer = await dialNode();
    peer.hello(PEER_LISTEN_PORT);
    peer.send('PEER REQUEST', GossipPeerRequest.encode({ limit: 5, nonce: 1n }));
    assert.equal(await peer.socket.waitClosed(3_000), true);
  });

  it('§4.1: a proof arriving after verification_timeout disconnects', async () => {
    await daemon.close();
    daemon = await start({ verificationTimeoutMs: 300 });
    const peer = await dialNode();
    peer.greet(PEER_LISTEN_PORT);
    await peer.receive(MessageType.GOSSIP_VERIFICATION_REQUEST);
    // No proof comes: the node closes the link at verification_timeout (300 ms here).
    assert.equal(await peer.socket.waitClosed(3_000), true);
    assert.equal(isListed(PEER_HOST, PEER_LISTEN_PORT), false);
  });

  it('§4.3: caps known peers per /24 once the loopback exemption is lifted', async () => {
    await daemon.close();
    daemon = await start({ subnetCapExemptLoopback: false, subnetCapV4: 2 });
    const outcomes: boolean[] = [];
    for (const host of ['127.0.2.1', '127.0.2.2', '127.0.2.3']) {
      const peer = await dialNode(host);
      peer.greet(PEER_LISTEN_PORT);
      assert.ok('proof' in (await peer.answerTheirRequest()), 'the node asked for our proof');
      await waitFor('listing or closing', () => isListed(host, PEER_LISTEN_PORT) || peer.socket.isClosed, 3_000);
      outcomes.push(isListed(host, PEER_LISTEN_PORT));
    }
    assert.deepEqual(outcomes, [true, true, false]);
    assert.equal(await peers[2]!.socket.waitClosed(2_000), true);
    assert.equal(peers[0]!.socket.isClosed, false);
  });

  describe('peer exchange (§4.3)', () => {
    /** A listener on `host`, closed after the test. */
    async function listen(host: string): Promise<SuiteListener> {
      const listener = await SuiteListener.listen(host);
      listeners.push(listener);
      return listener;
    }

    /** A scripted peer the daemon bootstraps from: the daemon dials it, proves first (§4.2), and asks it for peers. */
    async function bootstrapFromSuitePeer(): Promise<SuitePeer> {
      await daemon.close();
      const listener = await listen(PEER_HOST);
      daemon = await start({ bootstrapper: { host: PEER_HOST, port: listener.port, family: 4 } });
      const peer = await listener.nextPeer(PEER);
      assert.ok(peer, 'the daemon dials its bootstrapper');
      peers.push(peer);
      assert.deepEqual(await peer.acceptHandshake(), { listenPort: daemon.p2p.port }, 'HELLO carries the listen port');
      return peer;
    }

    it('dials the bootstrapper from its own host, asks it for peers and dials them', async () => {
      const peer = await bootstrapFromSuitePeer();
      assert.equal(peer.socket.socket.remoteAddress, NODE_HOST, '§4.2 item 4: dials from its p2p host');
      const candidate = await listen('127.0.3.1');
      const asked = await peer.answerPeerRequest([{ host: '127.0.3.1', port: candidate.port }]);
      assert.ok(asked, 'the daemon asked its bootstrapper for peers');
      const dialed = await candidate.nextPeer(PEER, 3_000);
      assert.ok(dialed, 'the advertised candidate was dialed');
      peers.push(dialed);
      assert.equal(dialed.socket.socket.remoteAddress, NODE_HOST);
      await dialed.receive(MessageType.GOSSIP_HELLO);
      assert.equal(isListed('127.0.3.1', candidate.port), false, 'a candidate is not listed before it is verified');
    });

    /** A solved PEER RESPONSE to `nonce` for one address family. */
    function peerResponse(nonce: bigint, isIpv6: boolean): Uint8Array {
      const addr = isIpv6 ? Uint8Array.from([...new Uint8Array(15), 1]) : Uint8Array.of(127, 0, 4, 1);
      return proveInline(
        GossipPeerResponse.encode({ nonce, challenge: 0n, isIpv6, entries: [{ addr, port: 46_000 }] }),
        BITS,
      );
    }

    it('§4.1: accepts one PEER RESPONSE per address family to a nonce, and closes on a second of one family', async () => {
      const peer = await bootstrapFromSuitePeer();
      const { nonce } = await peer.receive(MessageType.GOSSIP_PEER_REQUEST);
      peer.send('PEER RESPONSE (IPv4)', peerResponse(nonce, false));
      peer.send('PEER RESPONSE (IPv6)', peerResponse(nonce, true));
      await sleep(300);
      assert.equal(peer.socket.isClosed, false, 'one IPv4 and one IPv6 response are fine');
      peer.send('PEER RESPONSE (IPv4 again)', peerResponse(nonce, false));
      assert.equal(await peer.socket.waitClosed(3_000), true);
    });

    it('§4.1: closes on a PEER RESPONSE to a nonce it never sent', async () => {
      const peer = await bootstrapFromSuitePeer();
      const { nonce } = await peer.receive(MessageType.GOSSIP_PEER_REQUEST);
      peer.send('PEER RESPONSE (another nonce)', peerResponse(nonce + 1n, false));
      assert.equal(await peer.socket.waitClosed(3_000), true);
    });

    it('§4.2: closes when the accepting side sends HELLO', async () => {
      const peer = await bootstrapFromSuitePeer();
      peer.hello(40_000);
      assert.equal(await peer.socket.waitClosed(3_000), true);
    });

    it('disconnects a PEER RESPONSE whose address list was altered after solving', async () => {
      const peer = await bootstrapFromSuitePeer();
      const candidate = await listen('127.0.3.2');
      const { nonce } = await peer.receive(MessageType.GOSSIP_PEER_REQUEST);
      /** Offset of the last byte of the first entry's IPv4 address: head (20), x word (4), 3. */
      const FIRST_HOST_LAST_BYTE = 27;
      // 127.0.3.1 becomes 127.0.3.2 after solving; a second entry varies until the altered
      // list does not happen to carry a proof of its own.
      for (let filler = 1; ; filler++) {
        const entries = [
          { addr: Uint8Array.of(127, 0, 3, 1), port: candidate.port },
          { addr: Uint8Array.of(127, 0, 3, 9), port: filler },
        ];
        const altered = await prove(GossipPeerResponse.encode({ nonce, challenge: 0n, isIpv6: false, entries }), BITS);
        altered[FIRST_HOST_LAST_BYTE] = 2;
        if (hasProofOfWork(altered, BITS)) continue;
        peer.send('PEER RESPONSE (altered after solving)', altered);
        break;
      }
      assert.equal(await peer.socket.waitClosed(3_000), true);
      assert.equal(await candidate.next(500), null, 'the altered address was never dialed');
      assert.equal(daemon.overlay.known.candidateCount, 0);
    });
  });
});
