/**
 * One P2P connection and where it stands in the life cycle (docs/protocol.md §4.2). The
 * state is one value of LinkState (runtime/p2p/link-state.ts), so combinations such as
 * "active and referral" cannot be represented; `advance` is the only way it changes.
 * PEER REQUEST nonces this side sent are kept here too (§4.1: each is used once).
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Timer } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import { initialState, isHandshaking, type Direction, type LinkState, type Step } from './link-state.js';
import type { Address } from './peer-address.js';

export type AddressFamily = 4 | 6;

interface PendingPeerRequest {
  readonly sentAt: number;
  /** §4.1: a PEER REQUEST nonce accepts at most one response per address family. */
  readonly answeredFamilies: Set<AddressFamily>;
}

export class PeerLink {
  private current: LinkState;
  /** The peer's listen address: the dialed one, or the source IP with the HELLO port. */
  listenAddress: Address | null;
  readonly connectedAt: number;
  /** Dialed as our configured bootstrapper (the eclipse defence asks it again). */
  isBootstrapLink = false;
  /** Dialed by the eclipse defence's rotation: when active, it replaces another link (§4.6). */
  isRotation = false;
  /** The address key this node dialed (its dial back-off, §4.5); null for inbound links. */
  dialedKey: string | null = null;
  isAnsweringPeerRequest = false;
  /** Invalid items and PEER RESPONSEs with forbidden candidates, counted together (§4.4). */
  invalidItems = 0;
  /** GRAFTs the peer left unserved since it last served one; they count with invalidItems (§4.8 item 7). */
  unservedGrafts = 0;
  /** When the link became active (the dial back-off resets after it stayed so, §4.5). */
  activatedAt: number | null = null;
  /** The last PEER REQUEST the peer sent us, and the last we sent it (§4.5 rate). */
  lastPeerRequestReceivedAt: number | null = null;
  lastPeerRequestSentAt: number | null = null;
  readonly peerRequests = new Map<bigint, PendingPeerRequest>();
  /** Cancels proof-of-work solving for this link when it closes. */
  readonly abort = new AbortController();
  /** The current phase's deadline (handshake.ts arms it). */
  deadline: Timer | null = null;

  constructor(
    readonly connection: Connection,
    readonly direction: Direction,
    dialedAddress: Address | null,
    private readonly clock: Clock,
  ) {
    this.listenAddress = dialedAddress;
    this.connectedAt = clock.now();
    this.current = initialState(direction, { value: randomNonce(), sentAt: this.connectedAt });
  }

  get state(): LinkState {
    return this.current;
  }

  get isInbound(): boolean {
    return this.direction === 'inbound';
  }

  get isActive(): boolean {
    return this.current.phase === 'active';
  }

  get isHandshaking(): boolean {
    return isHandshaking(this.current);
  }

  /** Takes a step of the state machine; false (and the link closed) when it was illegal. */
  advance(step: Step): boolean {
    if (this.current.phase === 'closed') return false;
    if (typeof step === 'string') {
      this.connection.close(step);
      return false;
    }
    this.current = step;
    return true;
  }

  /** The connection closed: the link is done, whatever it was doing. */
  markClosed(reason: string): void {
    this.current = { phase: 'closed', reason };
    this.abort.abort();
    this.deadline?.cancel();
    this.deadline = null;
  }

  startPeerRequest(): bigint {
    const nonce = randomNonce();
    this.lastPeerRequestSentAt = this.clock.now();
    this.peerRequests.set(nonce, { sentAt: this.clock.now(), answeredFamilies: new Set() });
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
    if (this.clock.now() - request.sentAt > timeoutMs) return 'PEER RESPONSE after verification_timeout';
    request.answeredFamilies.add(family);
    if (request.answeredFamilies.size === 2) this.peerRequests.delete(nonce);
    return null;
  }

  /** Forgets PEER REQUESTs older than `timeoutMs` (a peer with one family never sends the other). */
  expirePeerRequests(timeoutMs: number): void {
    const now = this.clock.now();
    for (const [nonce, request] of this.peerRequests) {
      if (now - request.sentAt > timeoutMs) this.peerRequests.delete(nonce);
    }
  }
}

export function randomNonce(): bigint {
  return randomBytes(8).readBigUInt64BE(0);
}
