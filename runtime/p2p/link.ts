/**
 * The state of one P2P connection through its life cycle (PROTOCOL.md §4.2): who dialed,
 * the nonces this side sent and whether each was answered, and whether both proofs of
 * work checked out (then the link is active).
 */
import { randomBytes } from 'node:crypto';
import type { Connection } from '../core/connection.js';
import type { ListenAddress } from './peer-address.js';

export type AddressFamily = 4 | 6;

interface PendingPeerRequest {
  readonly sentAt: number;
  /** §4.1: a PEER REQUEST nonce accepts at most one response per address family. */
  readonly answeredFamilies: Set<AddressFamily>;
}

export class PeerLink {
  /** The peer's listen address: the dialed one, or the source IP with the HELLO port. */
  listenAddress: ListenAddress | null;
  /** Our VERIFICATION REQUEST nonce; null once a response used it (§4.1: used once). */
  verificationNonce: bigint | null = null;
  verificationSentAt = 0;
  isPeerVerified = false;
  hasSentProof = false;
  hasReceivedVerificationRequest = false;
  hasReceivedHello = false;
  isActive = false;
  /** Verified while this node was full: served one PEER REQUEST, then closed (§4.2 item 5). */
  isReferralOnly = false;
  /** Dialed as our configured bootstrapper (the eclipse defence asks it again). */
  isBootstrapLink = false;
  isAnsweringPeerRequest = false;
  invalidItems = 0;
  readonly peerRequests = new Map<bigint, PendingPeerRequest>();
  /** Cancels proof-of-work solving for this link when it closes. */
  readonly abort = new AbortController();
  verificationTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly connection: Connection,
    dialedAddress: ListenAddress | null,
  ) {
    this.listenAddress = dialedAddress;
  }

  get isInbound(): boolean {
    return this.connection.isInbound;
  }

  startVerification(): bigint {
    this.verificationNonce = randomNonce();
    this.verificationSentAt = Date.now();
    return this.verificationNonce;
  }

  startPeerRequest(): bigint {
    const nonce = randomNonce();
    this.peerRequests.set(nonce, { sentAt: Date.now(), answeredFamilies: new Set() });
    return nonce;
  }

  /**
   * A PEER REQUEST still waiting for its first response. Once one family answered, the
   * nonce still accepts the other family's response until it expires, but a new request
   * may go out: a peer that knows one family never sends the second response.
   */
  get hasOpenPeerRequest(): boolean {
    for (const request of this.peerRequests.values()) if (request.answeredFamilies.size === 0) return true;
    return false;
  }

  /** Takes the answer of one family to `nonce`: why not, or null when it may be taken. */
  claimPeerResponse(nonce: bigint, family: AddressFamily, timeoutMs: number): string | null {
    const request = this.peerRequests.get(nonce);
    if (!request) return 'PEER RESPONSE with a nonce this side never sent';
    if (request.answeredFamilies.has(family)) return `second IPv${family} PEER RESPONSE to one nonce`;
    if (Date.now() - request.sentAt > timeoutMs) return 'PEER RESPONSE after verification_timeout';
    request.answeredFamilies.add(family);
    if (request.answeredFamilies.size === 2) this.peerRequests.delete(nonce);
    return null;
  }

  /** Forgets PEER REQUESTs older than `timeoutMs` (a peer with one family never sends the other). */
  expirePeerRequests(timeoutMs: number): void {
    const now = Date.now();
    for (const [nonce, request] of this.peerRequests) {
      if (now - request.sentAt > timeoutMs) this.peerRequests.delete(nonce);
    }
  }

  dispose(): void {
    this.abort.abort();
    if (this.verificationTimer) clearTimeout(this.verificationTimer);
    this.verificationTimer = null;
  }
}

function randomNonce(): bigint {
  return randomBytes(8).readBigUInt64BE(0);
}
