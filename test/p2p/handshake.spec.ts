/**
 * The P2P life cycle in-process (runtime/p2p/handshake.ts, link-state.ts): the new order in
 * which whoever asks for work pays first, every phase's deadline on a fake clock, and the
 * caps on handshakes in progress (docs/protocol.md §4.1, §4.2). No sockets, no sleeps.
 */
import assert from 'node:assert/strict';
import { GossipVerificationResponse, MessageType } from '../../generated/index.js';
import type { Handshake, HandshakeSettings } from '../../runtime/p2p/handshake.js';
import type { KnownPeers } from '../../runtime/p2p/known-peers.js';
import type { LinkTable } from '../../runtime/p2p/link-table.js';
import type { FakeClock } from '../support/fake-clock.js';
import { FakeConnection } from '../support/fake-connection.js';
import {
  BITS,
  HANDSHAKE_SETTINGS as SETTINGS,
  handshakeHarness,
  type ManualSolver,
} from '../support/handshake-harness.js';
import { disprove, proveInline } from '../../conformance/proofs.js';

function proofOf(nonce: bigint, good = true): Uint8Array {
  const frame = GossipVerificationResponse.encode({ nonce, challenge: 0n });
  return good ? proveInline(frame, BITS) : disprove(frame, BITS);
}

describe('P2P life cycle, in-process (runtime/p2p/handshake.ts)', () => {
  let clock: FakeClock;
  let links: LinkTable;
  let known: KnownPeers;
  let solver: ManualSolver;
  let handshake: Handshake;

  function setUp(settings: Partial<HandshakeSettings> = {}): void {
    ({ clock, links, known, solver, handshake } = handshakeHarness(settings));
  }

  function connection(host: string, isInbound: boolean): FakeConnection {
    const fake = new FakeConnection(host, isInbound);
    fake.onClose = (reason) => links.remove(fake.asConnection(), reason);
    return fake;
  }

  const linkOf = (fake: FakeConnection) => links.get(fake.asConnection())!;
  const ourNonce = (fake: FakeConnection) => fake.sentOf(MessageType.GOSSIP_VERIFICATION_REQUEST)[0]!.message.nonce;

  /** An inbound dialer that said HELLO and sent its request. */
  function greeted(host = '10.0.0.2'): FakeConnection {
    const dialer = connection(host, true);
    handshake.accept(dialer.asConnection());
    handshake.hello(linkOf(dialer), 7001);
    handshake.request(linkOf(dialer), 42n);
    return dialer;
  }

  beforeEach(() => setUp());

  describe('accepting side', () => {
    it('sends its VERIFICATION REQUEST as soon as it accepts', () => {
      const dialer = connection('10.0.0.2', true);
      handshake.accept(dialer.asConnection());
      assert.equal(dialer.sent.length, 1);
      assert.equal(dialer.sent[0]!.type, MessageType.GOSSIP_VERIFICATION_REQUEST);
    });

    it('solves nothing for a dialer that has not proved: HELLO and a request cost it no work', async () => {
      const dialer = greeted();
      await solver.release();
      clock.advance(SETTINGS.verificationTimeoutMs - 1);
      assert.equal(solver.asked.length, 0, 'the acceptor solved before the dialer paid');
      assert.equal(dialer.sentOf(MessageType.GOSSIP_VERIFICATION_RESPONSE).length, 0);
      assert.equal(linkOf(dialer).state.phase, 'awaiting-proof');
    });

    it("solves the dialer's request once its proof checked out, then the link is active and the peer known", async () => {
      const dialer = greeted();
      handshake.proof(linkOf(dialer), ourNonce(dialer), proofOf(ourNonce(dialer)));
      assert.equal(solver.asked.length, 1);
      assert.equal(linkOf(dialer).state.phase, 'proving');
      await solver.release();
      const [response] = dialer.sentOf(MessageType.GOSSIP_VERIFICATION_RESPONSE);
      assert.equal(response?.message.nonce, 42n, "the proof answers the dialer's nonce");
      assert.equal(linkOf(dialer).state.phase, 'active');
      assert.equal(known.has({ host: '10.0.0.2', port: 7001 }), true);
    });

    for (const [name, proof, reason] of [
      ['a wrong nonce', (nonce: bigint) => proofOf(nonce + 1n), /wrong nonce/],
      ['too few zero bits', (nonce: bigint) => proofOf(nonce, false), /too few zero bits/],
    ] as const) {
      it(`closes on a proof with ${name}, having solved nothing`, () => {
        const dialer = greeted();
        const frame = proof(ourNonce(dialer));
        handshake.proof(linkOf(dialer), GossipVerificationResponse.decode(frame).nonce, frame);
        assert.match(dialer.closeReason ?? '', reason);
        assert.equal(solver.asked.length, 0);
      });
    }

    it('closes on a request before HELLO, a second request, and a proof before the request', () => {
      const early = connection('10.0.0.2', true);
      handshake.accept(early.asConnection());
      handshake.request(linkOf(early), 1n);
      assert.match(early.closeReason ?? '', /before HELLO/);

      const twice = greeted('10.0.0.3');
      handshake.request(linkOf(twice), 2n);
      assert.match(twice.closeReason ?? '', /second VERIFICATION REQUEST/);

      const hasty = connection('10.0.0.4', true);
      handshake.accept(hasty.asConnection());
      handshake.hello(linkOf(hasty), 7001);
      handshake.proof(linkOf(hasty), ourNonce(hasty), proofOf(ourNonce(hasty)));
      assert.match(hasty.closeReason ?? '', /before this side proved/);
    });

    it('closes a connection that sends no HELLO within handshake_timeout', () => {
      const idle = connection('10.0.0.2', true);
      handshake.accept(idle.asConnection());
      clock.advance(SETTINGS.handshakeTimeoutMs - 1);
      assert.equal(idle.isClosed, false);
      clock.advance(1);
      assert.match(idle.closeReason ?? '', /handshake timeout \(awaiting-hello\)/);
    });

    it('closes a dialer whose proof does not come within verification_timeout of our request', () => {
      const dialer = greeted();
      clock.advance(SETTINGS.verificationTimeoutMs - 1);
      assert.equal(dialer.isClosed, false);
      clock.advance(1);
      assert.equal(dialer.closeReason, 'verification timeout');
    });

    it('caps handshakes in progress per source address, per subnet and in total', () => {
      setUp({ subnetCapExemptLoopback: false });
      const first = [connection('10.0.0.2', true), connection('10.0.0.2', true), connection('10.0.0.2', true)];
      for (const fake of first) handshake.accept(fake.asConnection());
      assert.deepEqual(
        first.map((fake) => fake.closeReason),
        [null, null, 'too many handshakes from one address'],
      );
      const other = connection('10.0.0.3', true);
      handshake.accept(other.asConnection());
      assert.equal(other.isClosed, false, 'another address of the subnet still gets in');
      const subnetFull = connection('10.0.0.4', true);
      handshake.accept(subnetFull.asConnection());
      assert.equal(subnetFull.closeReason, 'too many handshakes from one subnet');
      const elsewhere = connection('10.1.0.1', true);
      handshake.accept(elsewhere.asConnection());
      assert.equal(elsewhere.isClosed, false);
      const overTotal = connection('10.2.0.1', true);
      handshake.accept(overTotal.asConnection());
      assert.equal(overTotal.closeReason, 'too many handshakes in progress', `max_peers = ${SETTINGS.maxPeers}`);
    });

    it('a full node still verifies a newcomer, as a referral, and closes it after the grace period', async () => {
      setUp({ maxPeers: 1 });
      const first = greeted('10.0.0.2');
      handshake.proof(linkOf(first), ourNonce(first), proofOf(ourNonce(first)));
      await solver.release();
      const second = greeted('10.0.0.3');
      handshake.proof(linkOf(second), ourNonce(second), proofOf(ourNonce(second)));
      await solver.release();
      assert.equal(linkOf(second).state.phase, 'referral');
      assert.equal(known.has({ host: '10.0.0.3', port: 7001 }), false, 'a referral is not listed');
      clock.advance(3_000);
      assert.match(second.closeReason ?? '', /newcomer asked for no peers/);
    });
  });

  describe('dialing side', () => {
    function dialed(): FakeConnection {
      const acceptor = connection('10.0.0.5', false);
      handshake.dialed(acceptor.asConnection(), { host: '10.0.0.5', port: 6005 }, false);
      return acceptor;
    }

    it("sends HELLO and its request, solves the acceptor's request at once, then waits for the acceptor's proof", async () => {
      const acceptor = dialed();
      assert.deepEqual(
        acceptor.sent.map((frame) => frame.type),
        [MessageType.GOSSIP_HELLO, MessageType.GOSSIP_VERIFICATION_REQUEST],
      );
      handshake.request(linkOf(acceptor), 7n);
      assert.equal(solver.asked.length, 1);
      await solver.release();
      assert.equal(acceptor.sentOf(MessageType.GOSSIP_VERIFICATION_RESPONSE)[0]?.message.nonce, 7n);
      assert.equal(linkOf(acceptor).state.phase, 'awaiting-proof');
      handshake.proof(linkOf(acceptor), ourNonce(acceptor), proofOf(ourNonce(acceptor)));
      assert.equal(linkOf(acceptor).state.phase, 'active');
      assert.equal(known.has({ host: '10.0.0.5', port: 6005 }), true);
    });

    it('closes on an acceptor that proves before this side did (it must not solve first)', () => {
      const acceptor = dialed();
      handshake.request(linkOf(acceptor), 7n);
      handshake.proof(linkOf(acceptor), ourNonce(acceptor), proofOf(ourNonce(acceptor)));
      assert.match(acceptor.closeReason ?? '', /before this side proved/);
    });

    it('closes an acceptor that sends HELLO', () => {
      const acceptor = dialed();
      handshake.hello(linkOf(acceptor), 6005);
      assert.equal(acceptor.closeReason, 'unexpected HELLO');
    });

    it('no zombie: an acceptor that takes our proof and never proves is closed verification_timeout after our proof', async () => {
      const acceptor = dialed();
      clock.advance(1_000);
      handshake.request(linkOf(acceptor), 7n);
      await solver.release();
      clock.advance(SETTINGS.verificationTimeoutMs - 1);
      assert.equal(acceptor.isClosed, false);
      clock.advance(1);
      assert.equal(acceptor.closeReason, 'verification timeout');
    });

    it('closes an acceptor that never sends its request within handshake_timeout', () => {
      const acceptor = dialed();
      clock.advance(SETTINGS.handshakeTimeoutMs);
      assert.match(acceptor.closeReason ?? '', /handshake timeout \(awaiting-request\)/);
    });

    it('a link not active within handshake_timeout + 2 x verification_timeout is closed, whatever it is doing', () => {
      const acceptor = dialed();
      handshake.request(linkOf(acceptor), 7n); // our solve never finishes
      clock.advance(SETTINGS.handshakeTimeoutMs + 2 * SETTINGS.verificationTimeoutMs - 1);
      assert.equal(acceptor.isClosed, false);
      clock.advance(1);
      assert.match(acceptor.closeReason ?? '', /handshake timeout \(proving\)/);
    });
  });
});
