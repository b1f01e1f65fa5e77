/**
 * The P2P port's consumer (docs/protocol.md §4): which frames a peer may send in which
 * phase of its link, and who handles each. Before a peer proved itself only the handshake
 * is accepted (§4.2); gossip from an active link goes to the gossip handler.
 */
import { HANDSHAKE_TYPES, MessageType, P2P_ACCEPTED_TYPES } from '../../generated/index.js';
import type { Connection } from '../core/connection.js';
import type { FrameConsumer, Received } from '../core/frame-consumer.js';
import type { PeerItems } from '../core/gossip-handler.js';
import type { Handshake } from './handshake.js';
import { isPastHandshake } from './link-state.js';
import type { LinkTable } from './link-table.js';
import type { PeerExchange } from './peer-exchange.js';
import type { TreeMessages } from './tree/dissemination.js';

export class P2pConsumer implements FrameConsumer {
  constructor(
    private readonly links: LinkTable,
    private readonly handshake: Handshake,
    private readonly exchange: PeerExchange,
    private readonly items: PeerItems,
    private readonly tree: TreeMessages,
  ) {}

  refuseType(_connection: Connection, type: number): string | null {
    return P2P_ACCEPTED_TYPES.has(type as MessageType) ? null : `type ${type} is not a peer-to-peer message`;
  }

  opened(connection: Connection): void {
    // Links we dial are set up by the dialer, which knows the address it dialed.
    if (connection.isInbound) this.handshake.accept(connection);
  }

  closed(connection: Connection, reason: string): void {
    this.links.remove(connection, reason);
  }

  consume({ connection, frame, bytes }: Received): void {
    const link = this.links.get(connection);
    if (!link) return; // closed after the frame was queued: nothing it said matters now
    if (!isPastHandshake(link.state) && !HANDSHAKE_TYPES.has(frame.type)) {
      connection.close(`type ${frame.type} before verification`);
      return;
    }
    switch (frame.type) {
      case MessageType.GOSSIP_HELLO:
        return this.handshake.hello(link, frame.message.listenPort);
      case MessageType.GOSSIP_VERIFICATION_REQUEST:
        return this.handshake.request(link, frame.message.nonce);
      case MessageType.GOSSIP_VERIFICATION_RESPONSE:
        return this.handshake.proof(link, frame.message.nonce, bytes);
      case MessageType.GOSSIP_PEER_REQUEST:
        return void this.exchange.answer(link, frame.message.limit, frame.message.nonce);
      case MessageType.GOSSIP_PEER_RESPONSE:
        return this.exchange.received(link, frame.message, bytes);
      case MessageType.GOSSIP_ANNOUNCE:
        // A referred newcomer saw the link as active: its gossip is ignored, not an offence.
        if (link.isActive) this.items.receiveFromPeer(connection, frame.message);
        return;
      // §4.8 item 9: on active links only; a referral's are ignored like its gossip.
      case MessageType.GOSSIP_IHAVE:
        if (link.isActive) this.tree.ihave(connection, frame.message.ids);
        return;
      case MessageType.GOSSIP_GRAFT:
        if (link.isActive) this.tree.graft(connection, frame.message.ids);
        return;
      case MessageType.GOSSIP_PRUNE:
        if (link.isActive) this.tree.prune(connection);
        return;
      default:
        connection.close(`type ${frame.type} not expected here`);
    }
  }
}
