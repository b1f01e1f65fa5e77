/**
 * docs/protocol.md §4.1 Proof of work: the node proves our request, and refuses proofs with a
 * wrong nonce, too few zero bits, a replayed nonce, or none within verification_timeout, and
 * a PEER REQUEST nonce accepts one PEER RESPONSE per address family.
 */
import { GossipPeerResponse, GossipVerificationResponse, MessageType } from '../../runtime/entry/codec.js';
import { disprove, nonceAt, prove } from '../proofs.js';
import { pass, skip, type ConformanceCase } from '../types.js';
import { bootstrappedOrSkip, greetedLink, handshakeFailed, isOutcome, mustClose } from './p2p-common.js';

export const proofCases: ConformanceCase[] = [
  {
    id: 'p2p/4.1/proves-our-request',
    group: 'p2p',
    section: '4.1',
    requirement:
      'Once our proof checked out, the node answers our VERIFICATION REQUEST with a 20-byte response carrying our nonce and pow_difficulty zero bits.',
    minNodes: 1,
    async run(context) {
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      const ours = await link.peer.answerTheirRequest();
      if ('message' in ours) return handshakeFailed(ours);
      const theirs = await link.peer.checkTheirProof();
      return 'message' in theirs ? handshakeFailed(theirs) : pass();
    },
  },
  {
    id: 'p2p/4.1/wrong-nonce-closes',
    group: 'p2p',
    section: '4.1',
    requirement: 'A VERIFICATION RESPONSE whose nonce is not the one the node sent closes the connection.',
    minNodes: 1,
    async run(context) {
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      const request = await link.peer.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
      if (!request)
        return skip('the node sent no VERIFICATION REQUEST (see p2p/4.2/acceptor-sends-verification-request)');
      const wrongNonce = nonceAt(request) ^ 0x5a5an;
      const proof = await prove(
        GossipVerificationResponse.encode({ nonce: wrongNonce, challenge: 0n }),
        context.settings.powDifficulty,
      );
      link.peer.send('VERIFICATION RESPONSE (wrong nonce, valid proof)', proof);
      return mustClose(context, link.peer, 'a proof for a nonce it never sent');
    },
  },
  {
    id: 'p2p/4.1/too-few-zero-bits-closes',
    group: 'p2p',
    section: '4.1',
    requirement: 'A VERIFICATION RESPONSE whose SHA-256 has fewer than pow_difficulty zero bits closes the connection.',
    minNodes: 1,
    async run(context) {
      if (context.settings.powDifficulty < 1) return skip('pow_difficulty is 0: every proof is good enough');
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      const request = await link.peer.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
      if (!request)
        return skip('the node sent no VERIFICATION REQUEST (see p2p/4.2/acceptor-sends-verification-request)');
      const bad = disprove(
        GossipVerificationResponse.encode({ nonce: nonceAt(request), challenge: 0n }),
        context.settings.powDifficulty,
      );
      link.peer.send('VERIFICATION RESPONSE (too few zero bits)', bad);
      return mustClose(context, link.peer, `a proof with fewer than ${context.settings.powDifficulty} zero bits`);
    },
  },
  {
    id: 'p2p/4.1/replayed-nonce-closes',
    group: 'p2p',
    section: '4.1',
    requirement: 'A VERIFICATION nonce accepts one response: sending the same valid proof again closes the connection.',
    minNodes: 1,
    async run(context) {
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      const ours = await link.peer.answerTheirRequest();
      if ('message' in ours) return skip(`the handshake did not start: ${ours.message}`);
      const theirs = await link.peer.checkTheirProof();
      if ('message' in theirs) return skip(`the handshake did not complete: ${theirs.message}`);
      link.peer.send('VERIFICATION RESPONSE (replayed)', ours.proof);
      return mustClose(context, link.peer, 'the same VERIFICATION RESPONSE a second time');
    },
  },
  {
    id: 'p2p/4.1/no-proof-in-time-closes',
    group: 'p2p',
    section: '4.1',
    requirement: 'A peer that sends no proof within verification_timeout is disconnected.',
    minNodes: 1,
    timeoutMs: 60_000,
    async run(context) {
      const timeoutMs = context.settings.verificationTimeoutMs;
      if (timeoutMs > 20_000)
        return skip(
          `verification_timeout is ${timeoutMs / 1000} s; pass --verification-timeout (and --set verification_timeout=…) of 20 s or less`,
        );
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      return mustClose(
        context,
        link.peer,
        `verification_timeout (${timeoutMs} ms) without our proof`,
        timeoutMs + context.settings.waitMs,
      );
    },
  },
  {
    id: 'p2p/4.1/one-peer-response-per-family',
    group: 'p2p',
    section: '4.1',
    requirement:
      'A PEER REQUEST nonce accepts one response per address family: a second proven IPv4 response closes the connection.',
    minNodes: 1,
    timeoutMs: 40_000,
    async run(context) {
      const outcome = await bootstrappedOrSkip(context);
      if (isOutcome(outcome)) return outcome;
      const { peer, request } = outcome;
      const respond = (port: number): Promise<Uint8Array> =>
        prove(
          GossipPeerResponse.encode({
            nonce: nonceAt(request, 8),
            challenge: 0n,
            isIpv6: false,
            entries: [{ addr: Uint8Array.from([127, 0, 0, 1]), port }],
          }),
          context.settings.powDifficulty,
        );
      peer.send('PEER RESPONSE (IPv4, proven)', await respond(9));
      if (await peer.socket.waitClosed(context.settings.quietMs)) {
        return skip(
          `the node closed the link after a valid PEER RESPONSE (${peer.socket.closeReason}), so a second one cannot be tried`,
        );
      }
      peer.send('a second PEER RESPONSE (IPv4, proven, same nonce)', await respond(10));
      return mustClose(context, peer, 'a second IPv4 PEER RESPONSE to one PEER REQUEST');
    },
  },
];
