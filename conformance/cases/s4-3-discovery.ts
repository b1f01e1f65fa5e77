/**
 * docs/protocol.md §4.3 Peer discovery: a verified peer's PEER REQUEST is answered with proven
 * PEER RESPONSEs; a bootstrapping node dials its bootstrapper, proves itself and asks for
 * peers; an altered PEER RESPONSE (its proof binds every entry through the list digest, runtime/pow/preimage.ts) closes the connection.
 * The last two need a node that dials the suite, so they run with --spawn only.
 */
import { GossipPeerRequest, GossipPeerResponse, MessageType } from '../../runtime/entry/codec.js';
import { formatEndpoint } from '../../runtime/entry/client.js';
import { hasProofOfWork } from '../../runtime/entry/pow.js';
import { hex } from '../bytes.js';
import { nonceAt, proofAllowanceMs, prove, randomNonce } from '../proofs.js';
import { fail, pass, type ConformanceCase } from '../types.js';
import { activeLink, bootstrappedBy, bootstrappedOrSkip, isOutcome, mustClose } from './p2p-common.js';

export const discoveryCases: ConformanceCase[] = [
  {
    id: 'p2p/4.3/peer-request-answered',
    group: 'p2p',
    section: '4.3',
    requirement: "A verified peer's PEER REQUEST gets a PEER RESPONSE with its nonce, whole entries and a valid proof.",
    minNodes: 2,
    async run(context) {
      const link = await activeLink(context);
      if (isOutcome(link)) return link;
      const nonce = randomNonce();
      link.peer.send('PEER REQUEST', GossipPeerRequest.encode({ limit: 16, nonce }));
      const waitMs = context.settings.waitMs + proofAllowanceMs(context.settings.powDifficulty);
      const response = await link.peer.expect(MessageType.GOSSIP_PEER_RESPONSE, waitMs);
      const expected = `PEER RESPONSE (505) with nonce ${nonce.toString(16)}, whole address entries, ≥ ${context.settings.powDifficulty} zero bits`;
      if (!response) return fail(link.peer.failure(`no PEER RESPONSE within ${waitMs} ms`, expected));
      let isWhole = true;
      try {
        GossipPeerResponse.decode(response);
      } catch {
        isWhole = false;
      }
      if (isWhole && nonceAt(response) === nonce && hasProofOfWork(response, context.settings.powDifficulty))
        return pass();
      return fail({
        message: 'the PEER RESPONSE is not a proven answer to our request',
        sent: link.peer.sent.join('; '),
        expected,
        got: hex(response),
      });
    },
  },
  {
    id: 'p2p/4.3/bootstrap-dials-and-asks',
    group: 'p2p',
    section: '4.3',
    requirement: 'A node with a bootstrapper dials it first, verifies it (§4.2) and sends it a PEER REQUEST.',
    minNodes: 1,
    timeoutMs: 40_000,
    async run(context) {
      const outcome = await bootstrappedBy(context);
      return isOutcome(outcome) ? outcome : pass();
    },
  },
  {
    id: 'p2p/4.3/altered-peer-response-closes',
    group: 'p2p',
    section: '4.3',
    requirement: 'A PEER RESPONSE whose address list was altered after the proof was made closes the connection.',
    minNodes: 1,
    timeoutMs: 40_000,
    async run(context) {
      const outcome = await bootstrappedOrSkip(context);
      if (isOutcome(outcome)) return outcome;
      const { peer, request } = outcome;
      const entries = [
        { addr: Uint8Array.from([127, 0, 0, 1]), port: 9 },
        { addr: Uint8Array.from([127, 0, 0, 1]), port: 10 },
      ];
      const proven = await prove(
        GossipPeerResponse.encode({ nonce: nonceAt(request, 8), challenge: 0n, isIpv6: false, entries }),
        context.settings.powDifficulty,
      );
      // Raise the last port until the altered frame no longer happens to meet the difficulty.
      const altered = Uint8Array.from(proven);
      const view = new DataView(altered.buffer);
      do view.setUint16(altered.length - 2, view.getUint16(altered.length - 2) + 1);
      while (hasProofOfWork(altered, context.settings.powDifficulty));
      peer.send('PEER RESPONSE (proof made, then a port altered)', altered);
      return mustClose(
        context,
        peer,
        `a PEER RESPONSE altered after its proof (last entry now ${formatEndpoint({ host: '127.0.0.1', port: view.getUint16(altered.length - 2) })})`,
      );
    },
  },
];
