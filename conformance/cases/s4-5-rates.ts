/**
 * docs/protocol.md §4.5 Rates: the first PEER REQUEST on a link is answered; a second one well
 * within 0.9 x peer_request_interval closes the link (a verified peer must not make a node
 * solve PEER RESPONSE proofs back to back). The interval is the one the suite is told
 * (`--set peer_request_interval=…`, default 60 s).
 */
import { GossipPeerRequest, MessageType } from '../../runtime/entry/codec.js';
import { proofAllowanceMs, randomNonce } from '../proofs.js';
import { DEFAULT_PEER_REQUEST_INTERVAL_MS, fail, skip, type ConformanceCase } from '../types.js';
import { activeLink, isOutcome, mustClose } from './p2p-common.js';

export const rateCases: ConformanceCase[] = [
  {
    id: 'p2p/4.5/peer-request-rate',
    group: 'p2p',
    section: '4.5',
    requirement: 'A second PEER REQUEST on a link well within peer_request_interval of the first closes the link.',
    minNodes: 1,
    async run(context) {
      const intervalMs = context.settings.peerRequestIntervalMs ?? DEFAULT_PEER_REQUEST_INTERVAL_MS;
      const link = await activeLink(context);
      if (isOutcome(link)) return link;
      const started = Date.now();
      link.peer.send(
        'PEER REQUEST (the first on this link)',
        GossipPeerRequest.encode({ limit: 16, nonce: randomNonce() }),
      );
      const waitMs = context.settings.waitMs + proofAllowanceMs(context.settings.powDifficulty);
      const response = await link.peer.expect(MessageType.GOSSIP_PEER_RESPONSE, waitMs);
      if (!response)
        return fail(
          link.peer.failure(
            `no PEER RESPONSE to the first request within ${waitMs} ms`,
            'the first PEER REQUEST on a link is always answered',
          ),
        );
      const elapsed = Date.now() - started;
      // "Well within": half of the 0.9 x interval the node must enforce, so timer slack cannot matter.
      if (elapsed > 0.45 * intervalMs) {
        return skip(
          `the first answer took ${elapsed} ms, too close to 0.9 x peer_request_interval (${intervalMs} ms): set a longer interval`,
        );
      }
      link.peer.send(
        'PEER REQUEST (the second, at once)',
        GossipPeerRequest.encode({ limit: 16, nonce: randomNonce() }),
      );
      return mustClose(
        context,
        link.peer,
        `a second PEER REQUEST ${elapsed} ms after the first (peer_request_interval ${intervalMs} ms)`,
      );
    },
  },
];
