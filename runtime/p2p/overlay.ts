/**
 * The peer-to-peer overlay (PROTOCOL.md §4): the connection life cycle with mutual proof
 * of work, bootstrapping and peer exchange, keeping `degree` active links, the eclipse
 * defence, and pushing items to every active link. Per-link state lives in PeerLink, the
 * address book in KnownPeers; this file decides what happens when.
 */
import type { Logger } from 'pino';
import {
  CHALLENGE_OFFSET,
  GossipHello,
  GossipPeerRequest,
  type GossipPeerResponse,
  GossipVerificationRequest,
  GossipVerificationResponse,
  MessageType,
  type Frame,
} from '../../generated/index.js';
import type { Connection } from '../core/connection.js';
import type { Overlay } from '../core/gossip-handler.js';
import { KnownPeers } from './known-peers.js';
import { addressKey, normaliseHost, type ListenAddress } from './peer-address.js';
import { candidatesIn, peerResponseFrames } from './peer-response.js';
import { PeerLink, type AddressFamily } from './link.js';
import type { Server, ServerPolicy } from '../core/server.js';
import { hasProofOfWork } from '../pow/verify.js';
import type { PowPool } from '../pow/pool.js';

export interface OverlaySettings {
  /** Our listen address; its port is the bound one once `start` ran. */
  listen: ListenAddress;
  /** Host to bind before dialing (§4.2 item 4); null when listening on a wildcard. */
  readonly dialFromHost: string | null;
  readonly bootstrapper: { host: string; port: number } | null;
  readonly degree: number;
  readonly maxPeers: number;
  readonly powDifficulty: number;
  readonly verificationTimeoutMs: number;
  readonly rejoinIntervalMs: number;
  readonly peerRequestLimit: number;
  readonly subnetCapV4: number;
  readonly subnetCapV6: number;
  readonly subnetCapExemptLoopback: boolean;
}

export interface OverlayObserver {
  linkClosed(reason: string): void;
  activeLinks(count: number): void;
  knownPeers(count: number): void;
  proofSolved(kind: 'verification' | 'peer-response', milliseconds: number): void;
}

/** How often the overlay checks it holds `degree` links (and expires stale requests). */
const MAINTAIN_INTERVAL_MS = 1_000;
/** How long a full node waits for a referred newcomer's PEER REQUEST (sent right after activation). */
const REFERRAL_GRACE_MS = 3_000;
/** Items a local module called invalid before the peer that sent them is disconnected. */
const MAX_INVALID_ITEMS_PER_PEER = 10;
/** Frame types a peer may send before its proof checks out (§4.2 item 2). */
const HANDSHAKE_TYPES: ReadonlySet<number> = new Set([
  MessageType.GOSSIP_HELLO,
  MessageType.GOSSIP_VERIFICATION_REQUEST,
  MessageType.GOSSIP_VERIFICATION_RESPONSE,
]);
const P2P_TYPES: ReadonlySet<number> = new Set([
  MessageType.GOSSIP_ANNOUNCE,
  MessageType.GOSSIP_PEER_REQUEST,
  MessageType.GOSSIP_PEER_RESPONSE,
  ...HANDSHAKE_TYPES,
]);

export class PeerOverlay implements Overlay, ServerPolicy {
  readonly known: KnownPeers;
  private readonly links = new Map<Connection, PeerLink>();
  /** Addresses being dialed right now, so that none is dialed twice. */
  private readonly dialing = new Set<string>();
  private server: Server | null = null;
  private maintainTimer: NodeJS.Timeout | null = null;
  private rejoinTimer: NodeJS.Timeout | null = null;
  private isClosed = false;

  private readonly settings: OverlaySettings;

  constructor(
    settings: OverlaySettings,
    private readonly pow: PowPool,
    private readonly logger: Logger,
    private readonly observer: OverlayObserver,
  ) {
    this.settings = { ...settings };
    this.known = new KnownPeers({
      perV4Subnet: settings.subnetCapV4,
      perV6Subnet: settings.subnetCapV6,
      isLoopbackExempt: settings.subnetCapExemptLoopback,
    });
  }

  /** Starts bootstrapping (§4.3) and the periodic maintenance; `listenPort` is the bound port. */
  start(server: Server, listenPort: number): void {
    this.server = server;
    this.settings.listen = { host: this.settings.listen.host, port: listenPort };
    this.maintain();
    this.maintainTimer = setInterval(() => this.maintain(), MAINTAIN_INTERVAL_MS);
    this.maintainTimer.unref();
    if (this.settings.rejoinIntervalMs > 0) {
      this.rejoinTimer = setInterval(() => this.rejoin(), this.settings.rejoinIntervalMs);
      this.rejoinTimer.unref();
    }
  }

  close(): void {
    this.isClosed = true;
    if (this.maintainTimer) clearInterval(this.maintainTimer);
    if (this.rejoinTimer) clearInterval(this.rejoinTimer);
    for (const link of this.links.values()) link.dispose();
  }

  get activeLinks(): PeerLink[] {
    return [...this.links.values()].filter((link) => link.isActive);
  }

  // ---- ServerPolicy: what the P2P Server may queue at all (§1) ----

  refuseType(_connection: Connection, type: number): string | null {
    return P2P_TYPES.has(type) ? null : `type ${type} is not a P2P message`;
  }

  onConnection(connection: Connection): void {
    if (connection.isInbound) this.accept(connection);
    // Outbound links are set up by `dial`, which knows the dialed address.
  }

  onClose(connection: Connection, reason: string): void {
    const link = this.links.get(connection);
    if (!link) return;
    this.links.delete(connection);
    link.dispose();
    // §4.3: a peer whose connection closes leaves the known-peers list and is replaced.
    if (link.isActive && link.listenAddress) this.known.remove(link.listenAddress);
    this.observer.linkClosed(reason.replace(/:.*/, ''));
    this.reportCounts();
    this.logger.debug({ connection: connection.label, reason }, 'peer link closed');
    if (!this.isClosed) setImmediate(() => this.maintain());
  }

  // ---- Overlay: what the gossip handler asks of us ----

  admitsGossip(connection: Connection): boolean {
    const link = this.links.get(connection);
    if (link?.isActive) return true;
    // A peer we turned away (full) saw the link as active: its gossip is ignored, not an offence.
    if (!link?.isReferralOnly) this.closeLink(connection, 'gossip before verification');
    return false;
  }

  broadcast(frame: Uint8Array, except: ReadonlySet<Connection>): number {
    let count = 0;
    for (const link of this.links.values()) {
      if (!link.isActive || except.has(link.connection)) continue;
      if (link.connection.send(frame)) count++;
    }
    return count;
  }

  reportInvalidItem(connection: Connection): void {
    const link = this.links.get(connection);
    if (!link) return;
    link.invalidItems++;
    if (link.invalidItems >= MAX_INVALID_ITEMS_PER_PEER) this.closeLink(connection, 'too many invalid items');
  }

  handleControlFrame(connection: Connection, frame: Frame, bytes: Uint8Array): void {
    const link = this.links.get(connection);
    if (!link) return;
    if (!link.isPeerVerified && !HANDSHAKE_TYPES.has(frame.type)) {
      this.closeLink(connection, `type ${frame.type} before verification`);
      return;
    }
    switch (frame.type) {
      case MessageType.GOSSIP_HELLO:
        return this.onHello(link, frame.message.listenPort);
      case MessageType.GOSSIP_VERIFICATION_REQUEST:
        return void this.onVerificationRequest(link, frame.message.nonce);
      case MessageType.GOSSIP_VERIFICATION_RESPONSE:
        return this.onVerificationResponse(link, frame.message.nonce, bytes);
      case MessageType.GOSSIP_PEER_REQUEST:
        return void this.onPeerRequest(link, frame.message.limit, frame.message.nonce);
      case MessageType.GOSSIP_PEER_RESPONSE:
        return this.onPeerResponse(link, frame.message, bytes);
      default:
        this.closeLink(connection, `type ${frame.type} not expected here`);
    }
  }

  // ---- Connection life cycle (§4.2) ----

  /** Dials a peer from our own host, then sends HELLO and our VERIFICATION REQUEST. */
  async dial(address: ListenAddress | { host: string; port: number }, isBootstrapper = false): Promise<void> {
    const key = addressKey(address);
    if (!this.server || this.dialing.has(key)) return;
    this.dialing.add(key);
    try {
      const connection = await this.server.dial(address.host, address.port, this.settings.dialFromHost ?? undefined);
      const dialed = { host: normaliseHost(connection.remoteHost), port: address.port };
      const link = new PeerLink(connection, dialed);
      link.isBootstrapLink = isBootstrapper;
      this.links.set(connection, link);
      connection.send(GossipHello.encode({ listenPort: this.settings.listen.port }));
      this.sendVerificationRequest(link);
    } catch (error) {
      this.known.removeCandidate(address as ListenAddress);
      this.logger.debug({ peer: key, err: (error as Error).message }, 'dial failed');
    } finally {
      this.dialing.delete(key);
    }
  }

  private accept(connection: Connection): void {
    // Each unverified inbound link costs us one proof of work: at most max_peers at a time.
    const unverified = [...this.links.values()].filter((link) => link.isInbound && !link.isPeerVerified).length;
    if (unverified >= this.settings.maxPeers) {
      this.closeLink(connection, 'too many unverified inbound links');
      return;
    }
    const link = new PeerLink(connection, null);
    this.links.set(connection, link);
    this.sendVerificationRequest(link);
  }

  private sendVerificationRequest(link: PeerLink): void {
    const nonce = link.startVerification();
    link.connection.send(GossipVerificationRequest.encode({ nonce }));
    link.verificationTimer = setTimeout(() => {
      if (!link.isPeerVerified) this.closeLink(link.connection, 'verification timeout');
    }, this.settings.verificationTimeoutMs);
    link.verificationTimer.unref();
  }

  private onHello(link: PeerLink, listenPort: number): void {
    // Only the dialing side says HELLO, once (§4.2 item 1).
    if (!link.isInbound || link.hasReceivedHello) {
      this.closeLink(link.connection, 'unexpected HELLO');
      return;
    }
    link.hasReceivedHello = true;
    link.listenAddress = { host: normaliseHost(link.connection.remoteHost), port: listenPort };
  }

  private async onVerificationRequest(link: PeerLink, nonce: bigint): Promise<void> {
    // One proof per connection: nobody makes us burn proof of work twice for free.
    if (link.hasReceivedVerificationRequest) {
      this.closeLink(link.connection, 'second VERIFICATION REQUEST');
      return;
    }
    link.hasReceivedVerificationRequest = true;
    // §4.2: each side solves the other's request at once (waiting for the dialer's proof
    // first would deadlock with a dialer that waits for ours). Free work for strangers is
    // bounded instead by the cap on unverified inbound links (`accept`).
    const frame = GossipVerificationResponse.encode({ nonce, challenge: 0n });
    if (!(await this.solve(link, frame, 'verification'))) return;
    link.connection.send(frame);
    link.hasSentProof = true;
    this.activateIfReady(link);
  }

  private onVerificationResponse(link: PeerLink, nonce: bigint, bytes: Uint8Array): void {
    const problem =
      link.verificationNonce === null
        ? 'VERIFICATION RESPONSE to a nonce already used'
        : nonce !== link.verificationNonce
          ? 'VERIFICATION RESPONSE with a wrong nonce'
          : Date.now() - link.verificationSentAt > this.settings.verificationTimeoutMs
            ? 'VERIFICATION RESPONSE after verification_timeout'
            : !hasProofOfWork(bytes, this.settings.powDifficulty)
              ? 'VERIFICATION RESPONSE with too few zero bits'
              : null;
    if (problem) {
      this.closeLink(link.connection, problem);
      return;
    }
    link.verificationNonce = null;
    link.isPeerVerified = true;
    if (link.verificationTimer) clearTimeout(link.verificationTimer);
    this.activateIfReady(link);
  }

  /** §4.2 item 3: both proofs checked out; the peer's listen address becomes known. */
  private activateIfReady(link: PeerLink): void {
    if (link.isActive || !link.isPeerVerified || !link.hasSentProof || link.connection.isClosed) return;
    const address = link.listenAddress;
    if (!address) {
      this.closeLink(link.connection, 'verified without HELLO');
      return;
    }
    if (addressKey(address) === addressKey(this.settings.listen)) {
      this.closeLink(link.connection, 'connected to itself');
      return;
    }
    const twin = this.activeLinkTo(address);
    if (twin && this.keepsTwin(twin, link)) {
      this.closeLink(link.connection, 'duplicate link');
      return;
    }
    if (this.activeLinks.length >= this.settings.maxPeers) {
      // Inbound links filled up while we were dialing: our own dial is no longer needed.
      if (!link.isInbound) this.closeLink(link.connection, 'full: dialed link no longer needed');
      else this.referElsewhere(link);
      return;
    }
    if (!this.known.add(address)) {
      this.closeLink(link.connection, 'subnet cap reached');
      return;
    }
    link.isActive = true;
    if (twin) this.closeLink(twin.connection, 'duplicate link');
    this.logger.info({ peer: addressKey(address), inbound: link.isInbound }, 'peer verified, link active');
    this.reportCounts();
    // Every link we dial is asked for peers once: it is how a newcomer finds room when the
    // nodes it knows are full (they refer it elsewhere), and it keeps candidates fresh.
    if (!link.isInbound) this.requestPeers(link);
    this.maintain();
  }

  private activeLinkTo(address: ListenAddress): PeerLink | undefined {
    const key = addressKey(address);
    return this.activeLinks.find((other) => other.listenAddress && addressKey(other.listenAddress) === key);
  }

  /**
   * Two links between the same pair (both dialed at once): both ends keep the one dialed
   * by the side with the smaller listen address, so they agree without talking.
   */
  private keepsTwin(twin: PeerLink, candidate: PeerLink): boolean {
    const ourKey = addressKey(this.settings.listen);
    const theirKey = addressKey(candidate.listenAddress!);
    const weDialWinner = ourKey < theirKey;
    const twinDialedByUs = !twin.isInbound;
    return twinDialedByUs === weDialWinner;
  }

  /**
   * §4.2 item 5: a full node (max_peers active links) still verifies a newcomer, answers
   * its PEER REQUEST so that it can dial others, then closes the link. Old links are never
   * shed for a newcomer: shedding them is what let closed groups split off the overlay
   * (bench/net/formation-check.ts), while every newcomer that links to the existing overlay
   * keeps it connected.
   */
  private referElsewhere(link: PeerLink): void {
    link.isReferralOnly = true;
    if (link.verificationTimer) clearTimeout(link.verificationTimer);
    link.verificationTimer = setTimeout(
      () => this.closeLink(link.connection, 'full: newcomer asked for no peers'),
      Math.min(REFERRAL_GRACE_MS, this.settings.verificationTimeoutMs),
    );
    link.verificationTimer.unref();
    this.logger.debug({ peer: addressKey(link.listenAddress!) }, 'full: referring a newcomer to other peers');
  }

  // ---- Peer exchange (§4.3) ----

  private requestPeers(link: PeerLink): void {
    if (link.hasOpenPeerRequest) return;
    const nonce = link.startPeerRequest();
    link.connection.send(GossipPeerRequest.encode({ limit: this.settings.peerRequestLimit, nonce }));
  }

  private async onPeerRequest(link: PeerLink, limit: number, nonce: bigint): Promise<void> {
    if (!(link.isActive || link.isReferralOnly) || link.isAnsweringPeerRequest) return; // §4.3: one at a time per peer
    link.isAnsweringPeerRequest = true;
    try {
      const frames = peerResponseFrames(nonce, this.known.list(), link.listenAddress, limit);
      for (const frame of frames) {
        if (!(await this.solve(link, frame, 'peer-response'))) return;
        link.connection.send(frame);
      }
      if (link.isReferralOnly) link.connection.close('full: newcomer referred to other peers', true);
    } finally {
      link.isAnsweringPeerRequest = false;
    }
  }

  private onPeerResponse(link: PeerLink, response: GossipPeerResponse, bytes: Uint8Array): void {
    const family: AddressFamily = response.isIpv6 ? 6 : 4;
    const problem =
      link.claimPeerResponse(response.nonce, family, this.settings.verificationTimeoutMs) ??
      (hasProofOfWork(bytes, this.settings.powDifficulty) ? null : 'PEER RESPONSE with too few zero bits');
    if (problem) {
      this.closeLink(link.connection, problem);
      return;
    }
    for (const address of candidatesIn(response, this.settings.listen)) this.known.addCandidate(address);
    this.maintain();
  }

  // ---- Keeping `degree` links (§4.2 item 5, §4.3) ----

  private maintain(): void {
    if (this.isClosed || !this.server) return;
    for (const link of this.links.values()) link.expirePeerRequests(this.settings.verificationTimeoutMs);
    const pending = [...this.links.values()].filter((link) => !link.isActive && !link.isInbound).length;
    const active = this.activeLinks;
    const missing = this.settings.degree - active.length - pending - this.dialing.size;
    if (missing <= 0) return;
    const busy = new Set<string>([addressKey(this.settings.listen), ...this.dialing]);
    for (const link of this.links.values()) if (link.listenAddress) busy.add(addressKey(link.listenAddress));
    const picks = this.known.pickCandidates(missing, (address) => busy.has(addressKey(address)));
    for (const address of picks) {
      this.known.removeCandidate(address);
      void this.dial(address);
    }
    if (picks.length === missing) return;
    if (active.length > 0) {
      const asked = active[Math.floor(Math.random() * active.length)]!;
      this.requestPeers(asked);
    } else if (pending === 0 && this.dialing.size === 0 && this.settings.bootstrapper) {
      void this.dial(this.settings.bootstrapper, true);
    }
  }

  /** Eclipse defence (§4.3): ask the bootstrapper again and swap a random neighbour. */
  private rejoin(): void {
    const bootstrapper = this.settings.bootstrapper;
    if (!bootstrapper) return;
    const bootstrapLink = this.activeLinks.find((link) => link.isBootstrapLink);
    if (bootstrapLink) this.requestPeers(bootstrapLink);
    else void this.dial(bootstrapper, true);
    const active = this.activeLinks.filter((link) => link !== bootstrapLink);
    if (active.length >= this.settings.degree && this.known.candidateCount > 0) {
      const victim = active[Math.floor(Math.random() * active.length)]!;
      this.closeLink(victim.connection, 'rotation: replaced by a fresh candidate');
    }
  }

  // ---- helpers ----

  /** Solves the proof in `frame` in place; false when the link closed meanwhile. */
  private async solve(link: PeerLink, frame: Uint8Array, kind: 'verification' | 'peer-response'): Promise<boolean> {
    const started = performance.now();
    try {
      const challenge = await this.pow.solve(frame, CHALLENGE_OFFSET, this.settings.powDifficulty, link.abort.signal);
      new DataView(frame.buffer, frame.byteOffset, frame.byteLength).setBigUint64(CHALLENGE_OFFSET, challenge);
    } catch (error) {
      if (!link.abort.signal.aborted) this.logger.warn({ err: error }, 'proof of work failed');
      return false;
    }
    this.observer.proofSolved(kind, performance.now() - started);
    return !link.connection.isClosed;
  }

  private closeLink(connection: Connection, reason: string): void {
    this.logger.debug({ connection: connection.label, reason }, 'closing peer link');
    connection.close(reason);
  }

  private reportCounts(): void {
    this.observer.activeLinks(this.activeLinks.length);
    this.observer.knownPeers(this.known.size);
  }
}
