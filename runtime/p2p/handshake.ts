/**
 * The life cycle's side effects (docs/protocol.md §4.1, §4.2): who may start a handshake,
 * sending HELLO and VERIFICATION REQUESTs, solving the peer's request once it paid, checking
 * its proof, the deadline of every phase, and the decision between active and referral.
 * The transitions themselves are runtime/p2p/link-state.ts.
 */
import type { Logger } from 'pino';
import {
  CHALLENGE_OFFSET,
  GossipHello,
  GossipVerificationRequest,
  GossipVerificationResponse,
} from '../../generated/index.js';
import type { Clock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import { hasProofOfWork } from '../pow/verify.js';
import type { KnownPeers } from './known-peers.js';
import { PeerLink } from './link.js';
import * as lifecycle from './link-state.js';
import type { LinkTable } from './link-table.js';
import { addressKey, isLoopback, normaliseHost, subnetKey, type Address } from './peer-address.js';
import { admissionBurst, InboundAdmission } from './inbound-admission.js';
import { InboundPressure } from './inbound-pressure.js';
import { countSlots, hasInboundSlot, hasOutboundSlot, knockerCap, type SlotCounts } from './slots.js';

export interface HandshakeSettings {
  readonly powDifficulty: number;
  readonly handshakeTimeoutMs: number;
  readonly verificationTimeoutMs: number;
  readonly degree: number;
  readonly maxPeers: number;
  readonly maxHandshakesPerAddress: number;
  readonly maxHandshakesPerSubnet: number;
  readonly subnetCapExemptLoopback: boolean;
}

/** Solves proofs off the event loop (runtime/pow/pool.ts). */
export interface ProofSolver {
  solve(frame: Uint8Array, challengeOffset: number, difficultyBits: number, signal?: AbortSignal): Promise<bigint>;
}

export interface HandshakeObserver {
  proofSolved(kind: 'verification' | 'peer-response', milliseconds: number): void;
  activeLinks(count: number): void;
  knownPeers(count: number): void;
}

/** Where this node listens: its port is known once the P2P server is bound. */
export interface SelfAddress {
  readonly listen: Address;
}

/** How long a full node waits for a referred newcomer's PEER REQUEST (sent right after activation). */
export const REFERRAL_GRACE_MS = 3_000;

/** The refusal that is nobody's own doing: it counts against no origin. */
const TOO_MANY_HANDSHAKES = 'too many handshakes in progress';

export class Handshake {
  /** Who keeps knocking at the door (§4.6 item 5): the decisions below depend on it. */
  readonly pressure: InboundPressure;
  private readonly admission: InboundAdmission;

  constructor(
    private readonly links: LinkTable,
    private readonly known: KnownPeers,
    private readonly solver: ProofSolver,
    private readonly self: SelfAddress,
    private readonly settings: HandshakeSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly observer: HandshakeObserver,
  ) {
    this.pressure = new InboundPressure(clock, settings.subnetCapExemptLoopback);
    this.admission = new InboundAdmission(clock, admissionBurst(settings.degree));
  }

  /** An inbound connection: within the caps, it gets our VERIFICATION REQUEST at once. */
  accept(connection: Connection): void {
    const refusal = this.refusalOf(connection.remoteHost);
    if (refusal) {
      // Over its own address's or subnet's cap: that origin's knock (§4.6 item 5).
      if (refusal !== TOO_MANY_HANDSHAKES) this.pressure.knocked(connection.remoteHost);
      connection.close(refusal);
      return;
    }
    this.countBurst(connection.remoteHost);
    const link = new PeerLink(connection, 'inbound', null, this.clock);
    this.links.add(link);
    this.sendRequest(link);
  }

  /** A connection we dialed: HELLO and our VERIFICATION REQUEST go out at once (§4.2). */
  dialed(connection: Connection, address: Address, isBootstrapper: boolean): PeerLink {
    const link = new PeerLink(
      connection,
      'outbound',
      { host: normaliseHost(connection.remoteHost), port: address.port },
      this.clock,
    );
    link.isBootstrapLink = isBootstrapper;
    this.links.add(link);
    connection.send(GossipHello.encode({ listenPort: this.self.listen.port }));
    this.sendRequest(link);
    return link;
  }

  hello(link: PeerLink, listenPort: number): void {
    if (!link.advance(lifecycle.onHello(link.state))) return;
    link.listenAddress = { host: normaliseHost(link.connection.remoteHost), port: listenPort };
    this.armDeadline(link);
  }

  request(link: PeerLink, nonce: bigint): void {
    if (!link.advance(lifecycle.onRequest(link.state, link.direction, nonce))) return;
    this.armDeadline(link);
    if (link.state.phase === 'proving') void this.prove(link, link.state.theirs);
  }

  proof(link: PeerLink, nonce: bigint, bytes: Uint8Array): void {
    const received = { nonce, hasEnoughBits: hasProofOfWork(bytes, this.settings.powDifficulty), at: this.clock.now() };
    if (!link.advance(lifecycle.onProof(link.state, received, this.settings.verificationTimeoutMs))) return;
    this.armDeadline(link);
    if (link.state.phase === 'proving') void this.prove(link, link.state.theirs);
    else if (link.state.phase === 'verified') this.verified(link);
  }

  /** Solves a proof in `frame` in place; false when the link closed meanwhile. */
  async solve(link: PeerLink, frame: Uint8Array, kind: 'verification' | 'peer-response'): Promise<boolean> {
    const started = performance.now();
    try {
      const challenge = await this.solver.solve(
        frame,
        CHALLENGE_OFFSET,
        this.settings.powDifficulty,
        link.abort.signal,
      );
      new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setBigUint64(CHALLENGE_OFFSET, challenge);
    } catch (error) {
      if (!link.abort.signal.aborted) this.logger.warn({ err: error }, 'proof of work failed');
      return false;
    }
    this.observer.proofSolved(kind, performance.now() - started);
    return !link.connection.isClosed;
  }

  /** A burst from one origin (§4.6 item 5): a connection while another of its origin still handshakes. */
  private countBurst(host: string): void {
    const origin = this.pressure.originOf(host);
    if (origin === null) return;
    const sameOrigin = (other: PeerLink) =>
      other.isInbound && other.isHandshaking && this.pressure.originOf(other.connection.remoteHost) === origin;
    if (this.links.count(sameOrigin) > 0) this.pressure.knocked(host);
  }

  /** Why a new inbound connection from `host` must be closed at once, or null (§4.2 caps). */
  private refusalOf(host: string): string | null {
    const handshaking = (test: (link: PeerLink) => boolean) =>
      this.links.count((link) => link.isInbound && link.isHandshaking && test(link));
    if (handshaking(() => true) >= this.settings.maxPeers) return TOO_MANY_HANDSHAKES;
    if (handshaking((link) => link.connection.remoteHost === host) >= this.settings.maxHandshakesPerAddress) {
      return 'too many handshakes from one address';
    }
    if (this.settings.subnetCapExemptLoopback && isLoopback(host)) return null;
    const subnet = subnetKey(host);
    if (
      handshaking((link) => subnetKey(link.connection.remoteHost) === subnet) >= this.settings.maxHandshakesPerSubnet
    ) {
      return 'too many handshakes from one subnet';
    }
    return null;
  }

  private sendRequest(link: PeerLink): void {
    const ours =
      link.state.phase === 'awaiting-hello' || link.state.phase === 'awaiting-request' ? link.state.ours : null;
    if (!ours) return;
    link.connection.send(GossipVerificationRequest.encode({ nonce: ours.value }));
    this.armDeadline(link);
  }

  private async prove(link: PeerLink, theirs: bigint): Promise<void> {
    const frame = GossipVerificationResponse.encode({ nonce: theirs, challenge: 0n });
    if (!(await this.solve(link, frame, 'verification'))) return;
    link.connection.send(frame);
    if (!link.advance(lifecycle.onProofSent(link.state, this.clock.now()))) return;
    this.armDeadline(link);
    if (link.state.phase === 'verified') this.verified(link);
  }

  /** The current phase's deadline; a link that misses it is closed, whatever it was doing. */
  private armDeadline(link: PeerLink): void {
    link.deadline?.cancel();
    link.deadline = null;
    const at = lifecycle.deadlineOf(link.state, link.connectedAt, this.settings);
    if (at === null) return;
    const phase = link.state.phase;
    link.deadline = this.clock.setTimeout(
      () => link.connection.close(phase === 'awaiting-proof' ? 'verification timeout' : `handshake timeout (${phase})`),
      Math.max(0, at - this.clock.now()),
    );
  }

  /** §4.2: both proofs checked out; the peer's listen address becomes known. */
  private verified(link: PeerLink): void {
    const address = link.listenAddress;
    if (!address) return void link.advance('verified without HELLO');
    if (addressKey(address) === addressKey(this.self.listen)) return void link.advance('connected to itself');
    const twin = this.links.activeTo(address);
    if (twin && this.keepsTwin(twin, link)) return void link.advance('duplicate link');
    // §4.6 slot accounting: inbound and outbound links are counted apart.
    const counts = countSlots(this.links.all());
    if (!link.isInbound && !hasOutboundSlot(counts, this.settings, link.isRotation)) {
      return void link.advance('outbound slots full: dialed link no longer needed');
    }
    if (link.isInbound) {
      // null: a free slot; undefined: no slot and no knocker to displace.
      const displaced = this.mayTakeInboundSlot(link, counts) ? null : this.knockerToDisplace(link);
      if (displaced === undefined || !this.isAdmitted(link, counts)) return this.refer(link);
      displaced?.connection.close('knocking: a quiet newcomer takes the slot');
    }
    if (!this.known.add(address)) {
      if (link.isInbound) this.pressure.knocked(link.connection.remoteHost);
      return void link.advance('subnet cap reached');
    }
    link.advance({ phase: 'active' });
    this.armDeadline(link);
    if (twin) twin.connection.close('duplicate link');
    this.logger.info({ peer: addressKey(address), inbound: link.isInbound }, 'peer verified, link active');
    this.reportCounts();
    this.links.activated(link);
  }

  /**
   * Two links between the same pair (both dialed at once): both ends keep the one dialed
   * by the side with the smaller listen address, so they agree without talking.
   */
  private keepsTwin(twin: PeerLink, candidate: PeerLink): boolean {
    const weDialWinner = addressKey(this.self.listen) < addressKey(candidate.listenAddress!);
    return !twin.isInbound === weDialWinner;
  }

  /** §4.6 items 1 and 5: a free inbound slot, and for a knocker one within the knockers' cap. */
  private mayTakeInboundSlot(link: PeerLink, counts: SlotCounts): boolean {
    if (!hasInboundSlot(counts, this.settings)) return false;
    if (!this.pressure.isKnocker(link.connection.remoteHost)) return true;
    const knockers = this.links.count((other) => other.isActive && this.pressure.isKnockingLink(other));
    return knockers < knockerCap(counts);
  }

  /** §4.6 item 6: a node holding all its outbound links admits inbound newcomers at a pace (exempt loopback aside). */
  private isAdmitted(link: PeerLink, counts: SlotCounts): boolean {
    if (this.pressure.originOf(link.connection.remoteHost) === null) return true;
    return counts.outboundActive < this.settings.degree || this.admission.take();
  }

  /**
   * §4.6 item 5: a newcomer whose origin is not knocking takes the inbound slot of the link
   * whose origin knocks the most, if that one is knocking. An attacker that keeps its
   * addresses at the door thereby makes room for honest nodes, which back off.
   */
  private knockerToDisplace(newcomer: PeerLink): PeerLink | undefined {
    if (this.pressure.isKnocker(newcomer.connection.remoteHost)) return undefined;
    let loudest: PeerLink | undefined;
    let loudestKnocks = 0;
    for (const link of this.links.active) {
      if (!link.isInbound) continue;
      const knocks = this.pressure.knocksFrom(link.connection.remoteHost);
      if (knocks > loudestKnocks) [loudest, loudestKnocks] = [link, knocks];
    }
    return loudest && this.pressure.isKnocker(loudest.connection.remoteHost) ? loudest : undefined;
  }

  /**
   * §4.2 item 9: a full node still answers a verified newcomer's PEER REQUEST so that it can
   * dial others, then closes the link. Old links are never shed for a newcomer: shedding
   * them let closed groups split off the overlay (bench/net/formation-check.ts).
   */
  private refer(link: PeerLink): void {
    this.pressure.knocked(link.connection.remoteHost);
    link.advance({ phase: 'referral' });
    link.deadline?.cancel();
    link.deadline = this.clock.setTimeout(
      () => link.connection.close('full: newcomer asked for no peers'),
      Math.min(REFERRAL_GRACE_MS, this.settings.verificationTimeoutMs),
    );
    this.logger.debug({ peer: addressKey(link.listenAddress!) }, 'full: referring a newcomer to other peers');
  }

  reportCounts(): void {
    this.observer.activeLinks(this.links.active.length);
    this.observer.knownPeers(this.known.size);
  }
}
