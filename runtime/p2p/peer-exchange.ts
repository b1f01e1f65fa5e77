/**
 * Peer exchange (docs/protocol.md §4.3): asking a link for peers, answering a peer's
 * PEER REQUEST with proven PEER RESPONSEs, and taking the candidates out of a response.
 * What a response contains is runtime/p2p/peer-response.ts.
 */
import { GossipPeerRequest, type GossipPeerResponse } from '../../generated/index.js';
import { hasProofOfWork } from '../pow/verify.js';
import type { Handshake, SelfAddress } from './handshake.js';
import type { KnownPeers } from './known-peers.js';
import type { AddressFamily, PeerLink } from './link.js';
import { candidatesIn, peerResponseFrames } from './peer-response.js';

export interface PeerExchangeSettings {
  readonly powDifficulty: number;
  readonly verificationTimeoutMs: number;
  readonly peerRequestLimit: number;
}

export class PeerExchange {
  private readonly candidateListeners: (() => void)[] = [];

  constructor(
    private readonly known: KnownPeers,
    private readonly handshake: Handshake,
    private readonly self: SelfAddress,
    private readonly settings: PeerExchangeSettings,
  ) {}

  /** `listener` runs whenever a response brought candidates (the dialer may use them). */
  onCandidates(listener: () => void): void {
    this.candidateListeners.push(listener);
  }

  /** Sends a PEER REQUEST unless one to this link is still unanswered. */
  request(link: PeerLink): void {
    if (link.hasOpenPeerRequest) return;
    const nonce = link.startPeerRequest();
    link.connection.send(GossipPeerRequest.encode({ limit: this.settings.peerRequestLimit, nonce }));
  }

  /** §4.3: only an active (or referred) peer is answered, one request at a time. */
  async answer(link: PeerLink, limit: number, nonce: bigint): Promise<void> {
    const isReferral = link.state.phase === 'referral';
    if (!(link.isActive || isReferral) || link.isAnsweringPeerRequest) return;
    link.isAnsweringPeerRequest = true;
    try {
      const frames = peerResponseFrames(nonce, this.known.list(), link.listenAddress, limit);
      for (const frame of frames) {
        if (!(await this.handshake.solve(link, frame, 'peer-response'))) return;
        link.connection.send(frame);
      }
      if (isReferral) link.connection.close('full: newcomer referred to other peers', true);
    } finally {
      link.isAnsweringPeerRequest = false;
    }
  }

  /** A proven response to one of our requests: its addresses become candidates. */
  received(link: PeerLink, response: GossipPeerResponse, bytes: Uint8Array): void {
    const family: AddressFamily = response.isIpv6 ? 6 : 4;
    const problem =
      link.claimPeerResponse(response.nonce, family, this.settings.verificationTimeoutMs) ??
      (hasProofOfWork(bytes, this.settings.powDifficulty) ? null : 'PEER RESPONSE with too few zero bits');
    if (problem) {
      link.connection.close(problem);
      return;
    }
    for (const address of candidatesIn(response, this.self.listen)) this.known.addCandidate(address);
    for (const listener of this.candidateListeners) listener();
  }
}
