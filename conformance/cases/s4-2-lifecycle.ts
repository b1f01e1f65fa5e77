/**
 * docs/protocol.md §4.2 Connection life cycle: the accepting side asks for a proof, the link
 * becomes active after both proofs, and before that only HELLO, 506 and 507 are accepted.
 */
import { GossipAnnounce, GossipPeerRequest, MessageType } from '../../runtime/entry/codec.js';
import { describeItem, settle, Subscriber } from '../observe.js';
import { SuiteListener } from '../listener.js';
import { SuitePeer } from '../peer.js';
import { proofAllowanceMs, randomNonce } from '../proofs.js';
import { fail, pass, skip, type ConformanceCase } from '../types.js';
import { greetedLink, handshakeFailed, isOutcome, mustClose, NO_P2P, targetNode } from './p2p-common.js';

export const lifecycleCases: ConformanceCase[] = [
  {
    id: 'p2p/4.2/acceptor-sends-verification-request',
    group: 'p2p',
    section: '4.2',
    requirement: 'The accepting node sends its own VERIFICATION REQUEST (506, size 12) to a dialing peer.',
    minNodes: 1,
    async run(context) {
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      const request = await link.peer.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
      if (request && request.length === 12) return pass();
      return handshakeFailed(
        link.peer.failure('no well-formed VERIFICATION REQUEST came back', 'a 12-byte VERIFICATION REQUEST (506)'),
      );
    },
  },
  {
    id: 'p2p/4.2/acceptor-waits-for-dialer-proof',
    group: 'p2p',
    section: '4.2',
    requirement:
      'The accepting node solves nothing for a dialer that has not proved: after our HELLO and VERIFICATION REQUEST, and no proof from us, no VERIFICATION RESPONSE comes.',
    minNodes: 1,
    async run(context) {
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      const waitMs = context.settings.waitMs + proofAllowanceMs(context.settings.powDifficulty);
      const early = await link.peer.expect(MessageType.GOSSIP_VERIFICATION_RESPONSE, waitMs);
      if (!early) return pass();
      return fail({
        message: 'the node solved our VERIFICATION REQUEST before we proved anything (a free proof for any stranger)',
        sent: link.peer.sent.join('; '),
        expected: `no VERIFICATION RESPONSE within ${waitMs} ms while our proof is missing`,
        got: `VERIFICATION RESPONSE ${Buffer.from(early).toString('hex')}`,
      });
    },
  },
  {
    id: 'p2p/4.2/handshake-completes',
    group: 'p2p',
    section: '4.2',
    requirement: 'After HELLO + 506 from us and both proofs, the link is active: an item we push is delivered.',
    minNodes: 1,
    async run(context) {
      const target = targetNode(context);
      if (!target) return skip(NO_P2P);
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, target, [dataType]);
      await settle();
      const listener = await SuiteListener.open(context);
      const peer = await SuitePeer.dial(context, target.p2p);
      const problem = await peer.handshake(listener.port);
      if (problem) return handshakeFailed(problem);
      const item = { ttl: 1, dataType, data: context.freshData() };
      peer.send('ANNOUNCE', GossipAnnounce.encode(item));
      if (await subscriber.waitFor(item.data, context.settings.waitMs)) return pass();
      return fail({
        message: 'an item pushed over the verified link was not delivered',
        sent: peer.sent.join('; '),
        expected: `NOTIFICATION on node ${target.index} with ${describeItem(item)}`,
        got: peer.socket.isClosed
          ? `connection closed (${peer.socket.closeReason})`
          : `nothing within ${context.settings.waitMs} ms`,
      });
    },
  },
  {
    id: 'p2p/4.2/announce-before-verification-closes',
    group: 'p2p',
    section: '4.2',
    requirement: 'An ANNOUNCE before our proof checked out closes the connection (and is not delivered).',
    minNodes: 1,
    async run(context) {
      const target = targetNode(context);
      if (!target) return skip(NO_P2P);
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, target, [dataType]);
      await settle();
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      const item = { ttl: 1, dataType, data: context.freshData() };
      link.peer.send('ANNOUNCE (unverified)', GossipAnnounce.encode(item));
      const closed = await mustClose(context, link.peer, 'an ANNOUNCE from an unverified peer');
      if (closed.status !== 'pass') return closed;
      if (subscriber.find(item.data)) {
        return fail({
          message: "the unverified peer's item was delivered",
          sent: link.peer.sent.join('; '),
          expected: 'no NOTIFICATION',
          got: `NOTIFICATION of ${describeItem(item)}`,
        });
      }
      return pass();
    },
  },
  {
    id: 'p2p/4.2/peer-request-before-verification-closes',
    group: 'p2p',
    section: '4.2',
    requirement: 'A PEER REQUEST before our proof checked out closes the connection.',
    minNodes: 1,
    async run(context) {
      const link = await greetedLink(context);
      if (isOutcome(link)) return link;
      link.peer.send('PEER REQUEST (unverified)', GossipPeerRequest.encode({ limit: 8, nonce: randomNonce() }));
      return mustClose(context, link.peer, 'a PEER REQUEST from an unverified peer');
    },
  },
];
