/**
 * Peer exchange (docs/protocol.md §4.3): asking a link for peers, answering a peer's
 * PEER REQUEST with proven PEER RESPONSEs, and taking the candidates out of a response.
 * What a response contains is runtime/p2p/peer-response.ts.
 */
import { GossipPeerRequest, type GossipPeerResponse } from '../../generated/index.js';
import type { Clock } from '../core/clock.js';
import { hasProofOfWork } from '../pow/verify.js';
import type { CandidateCheck } from './candidate-check.js';
import type { Handshake } from './handshake.js';
import type { KnownPeers } from './known-peers.js';
import type { AddressFamily, PeerLink } from './link.js';
import type { LinkTable } from './link-table.js';
import { addressKey, fromPeerAddress, type Address } from './peer-address.js';
import { peerResponseFrames } from './peer-response.js';
import { incomingRequestProblem, maySendRequest } from './request-pacing.js';

export interface PeerExchangeSettings {
  readonly powDifficulty: number;
  readonly verificationTimeoutMs: number;
  readonly peerRequestLimit: number;
  readonly peerRequestIntervalMs: number;
}

export class PeerExchange {
  /** Set once the node listens (runtime/p2p/overlay.ts join): until then nothing is a candidate. */
  check: CandidateCheck | null = null;
  private readonly candidateListeners: ((link: PeerLink, fresh: number) => void)[] = [];

  constructor(
    private readonly known: KnownPeers,
    private readonly links: LinkTable,
    private readonly handshake: Handshake,
    private readonly settings: PeerExchangeSettings,
    private readonly clock: Clock,
  ) {}

  /** `listener` hears how many new candidates each checked response brought (0 included). */
  onCandidates(listener: (link: PeerLink, fresh: number) => void): void {
    this.candidateListeners.push(listener);
  }

  /** May we ask `link` now (§4.5: one PEER REQUEST per link per interval, none while one is open)? */
  mayRequest(link: PeerLink): boolean {
    return (
      !link.hasOpenPeerRequest &&
      maySendRequest(link.lastPeerRequestSentAt, this.clock.now(), this.settings.peerRequestIntervalMs)
    );
  }

  /** Sends a PEER REQUEST if §4.5 allows it now; true when it went out. */
  request(link: PeerLink): boolean {
    if (!link.isActive || !this.mayRequest(link)) return false;
    const nonce = link.startPeerRequest();
    link.connection.send(GossipPeerRequest.encode({ limit: this.settings.peerRequestLimit, nonce }));
    return true;
  }

  /** §4.3, §4.5: only an active (or referred) peer is answered, at most once per interval. */
  async answer(link: PeerLink, limit: number, nonce: bigint): Promise<void> {
    const isReferral = link.state.phase === 'referral';
    if (!(link.isActive || isReferral)) return;
    const now = this.clock.now();
    const problem = incomingRequestProblem(link.lastPeerRequestReceivedAt, now, this.settings.peerRequestIntervalMs);
    if (problem) return void link.connection.close(problem);
    link.lastPeerRequestReceivedAt = now;
    if (link.isAnsweringPeerRequest) return;
    link.isAnsweringPeerRequest = true;
    try {
      const frames = peerResponseFrames(nonce, this.vouchedFor(), link.listenAddress, limit);
      for (const frame of frames) {
        if (!(await this.handshake.solve(link, frame, 'peer-response'))) return;
        link.connection.send(frame);
      }
      if (isReferral) link.connection.close('full: newcomer referred to other peers', true);
    } finally {
      link.isAnsweringPeerRequest = false;
    }
  }

  /**
   * The peers a PEER RESPONSE may name (§4.3, §4.6 item 5): every known peer but those whose
   * origin keeps knocking at our door, so that whoever crowds in is not handed on to the rest
   * of the network.
   */
  private vouchedFor(): Address[] {
    const pressure = this.handshake.pressure;
    return this.links.active.flatMap((peer) =>
      peer.listenAddress && this.known.has(peer.listenAddress) && !pressure.isKnocker(peer.connection.remoteHost)
        ? [peer.listenAddress]
        : [],
    );
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
    let fresh = 0;
    let forbidden = 0;
    const source = link.listenAddress ? addressKey(link.listenAddress) : link.connection.label;
    for (const address of response.entries.map(fromPeerAddress)) {
      if (!this.check || this.check.problemOf(address)) forbidden++;
      else if (this.known.addCandidate(address, source)) fresh++;
    }
    // §4.3: a list with addresses never to be dialed counts against its sender (once per list).
    if (forbidden > 0 && this.check) this.links.reportForbiddenCandidates(link.connection);
    for (const listener of this.candidateListeners) listener(link, fresh);
  }
}
