/**
 * The peer-to-peer side of a node (docs/protocol.md §4), assembled: the link table, the
 * known peers, the handshake, peer exchange, dissemination (flooding or the broadcast tree,
 * §4.8) and the P2P port's consumer. `join` starts
 * membership (dialing, degree, rotation) once the P2P server listens and its port is known.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import type { PeerItems } from '../core/gossip-handler.js';
import { CandidateCheck } from './candidate-check.js';
import { Handshake, type HandshakeObserver, type HandshakeSettings, type ProofSolver } from './handshake.js';
import { KnownPeers } from './known-peers.js';
import type { PeerLink } from './link.js';
import { LinkTable } from './link-table.js';
import { Membership, type Dialer, type MembershipObserver, type MembershipSettings } from './membership.js';
import { P2pConsumer } from './p2p-consumer.js';
import type { Address } from './peer-address.js';
import { PeerExchange, type PeerExchangeSettings } from './peer-exchange.js';
import { PeersFileWriter, readPeersFile } from './peers-file.js';
import { Dissemination, type DisseminationSettings, type ItemSource, type TreeObserver } from './tree/dissemination.js';

export interface OverlaySettings
  extends HandshakeSettings, PeerExchangeSettings, MembershipSettings, DisseminationSettings {
  /** Our listen address; its port is the bound one once `join` ran. */
  readonly listen: Address;
  readonly subnetCapV4: number;
  readonly subnetCapV6: number;
  /** §4.7: where verified peers are kept across restarts; null = nowhere. */
  readonly peersFile: string | null;
}

export type OverlayObserver = HandshakeObserver & MembershipObserver & TreeObserver;

export class PeerOverlay {
  readonly links: LinkTable;
  readonly known: KnownPeers;
  readonly consumer: P2pConsumer;
  /** What the gossip handler pushes items through (§4.4, §4.8). */
  readonly dissemination: Dissemination;
  private readonly self: { listen: Address };
  private readonly handshake: Handshake;
  private readonly exchange: PeerExchange;
  private membership: Membership | null = null;
  private peersFile: PeersFileWriter | null = null;

  constructor(
    private readonly settings: OverlaySettings,
    solver: ProofSolver,
    items: PeerItems & ItemSource,
    private readonly logger: Logger,
    private readonly observer: OverlayObserver,
    private readonly clock: Clock = systemClock,
  ) {
    this.self = { listen: settings.listen };
    this.links = new LinkTable(logger);
    this.known = new KnownPeers({
      perV4Subnet: settings.subnetCapV4,
      perV6Subnet: settings.subnetCapV6,
      isLoopbackExempt: settings.subnetCapExemptLoopback,
    });
    this.handshake = new Handshake(this.links, this.known, solver, this.self, settings, clock, logger, observer);
    this.exchange = new PeerExchange(this.known, this.links, this.handshake, settings, clock);
    this.dissemination = new Dissemination(this.links, settings, items, observer, clock);
    this.consumer = new P2pConsumer(this.links, this.handshake, this.exchange, items, this.dissemination);
  }

  get activeLinks(): PeerLink[] {
    return this.links.active;
  }

  /**
   * Starts bootstrapping (§4.3) and maintenance through `dialer`, listening on `listenPort`.
   * `otherListening` are this node's other bound addresses (API, metrics): never candidates.
   */
  join(dialer: Dialer, listenPort: number, otherListening: readonly Address[] = []): void {
    this.self.listen = { host: this.settings.listen.host, port: listenPort };
    const check = new CandidateCheck({ listening: [this.self.listen, ...otherListening] });
    this.exchange.check = check;
    const path = this.settings.peersFile;
    const kept = path ? readPeersFile(path, this.logger) : [];
    if (path) {
      const writer = new PeersFileWriter(path, () => this.known.list(), this.clock, this.logger);
      this.known.onChange = () => writer.changed();
      this.peersFile = writer;
    }
    this.membership = new Membership(
      dialer,
      this.links,
      this.known,
      this.handshake,
      this.exchange,
      check,
      kept,
      this.settings,
      this.clock,
      this.logger,
      this.observer,
    );
    this.membership.start();
  }

  close(): void {
    // §4.7: links closed by our own shutdown are not removals: the file keeps them.
    this.peersFile?.close();
    this.membership?.close();
    this.dissemination.close();
    // Solving stops for every link, joined or not (membership only exists once joined).
    for (const link of this.links.all()) link.abort.abort();
  }
}
