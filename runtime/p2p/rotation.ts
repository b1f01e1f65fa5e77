/**
 * The eclipse defence's rotation (docs/protocol.md §4.6 item 2): every `rejoin_interval` the
 * node dials a fresh candidate at once, as an extra outbound link, and only when that link is
 * active closes another one, an inbound link by preference. Inbound Sybils therefore cannot
 * inherit the freed slot: it was an inbound one, and the fresh link is of this node's choosing.
 */
import type { Logger } from 'pino';
import type { PeerLink } from './link.js';
import type { LinkTable } from './link-table.js';
import type { Address } from './peer-address.js';
import { countSlots, type SlotSettings } from './slots.js';

export interface RotationHooks {
  /** A fresh candidate that may be dialed now, or null. */
  pickFresh(): Address | null;
  dial(address: Address, how: { isBootstrapper: boolean; isRotation: boolean }): void;
  /** Nothing fresh to dial: ask for candidates (within the back-off of §4.5), bootstrapper first. */
  askForPeers(preferBootstrapper: boolean): void;
}

export class Rotation {
  constructor(
    private readonly links: LinkTable,
    private readonly settings: SlotSettings & { readonly bootstrapper: Address | null },
    private readonly hooks: RotationHooks,
    private readonly logger: Logger,
  ) {}

  /** The rejoin timer fired: dial something fresh (it replaces a link once active). */
  rotate(): void {
    const fresh = this.hooks.pickFresh();
    if (fresh) return this.hooks.dial(fresh, { isBootstrapper: false, isRotation: true });
    const bootstrapper = this.settings.bootstrapper;
    const hasBootstrapLink = [...this.links.all()].some((link) => link.isBootstrapLink && !link.isInbound);
    if (bootstrapper && !hasBootstrapLink)
      return this.hooks.dial(bootstrapper, { isBootstrapper: true, isRotation: true });
    this.logger.debug('rotation: no fresh candidate; asking for peers');
    this.hooks.askForPeers(true);
  }

  /**
   * A rotation's link is active: close one other link so that the counts of §4.6 hold.
   * Outbound links stay at most degree + 1; inbound links go first, so an attacker that
   * fills our inbound slots loses one at every rotation, and our own choices stay.
   */
  replaceFor(fresh: PeerLink): void {
    const counts = countSlots(this.links.all());
    const others = this.links.active.filter((link) => link !== fresh);
    const inbound = others.filter((link) => link.isInbound);
    const outbound = others.filter((link) => !link.isInbound);
    let victim: PeerLink | undefined;
    if (
      counts.outboundActive > this.settings.degree + 1 ||
      (inbound.length === 0 && counts.outboundActive > this.settings.degree)
    ) {
      victim = youngestOf(outbound.filter((link) => !link.isBootstrapLink)) ?? youngestOf(outbound);
    } else {
      victim = youngestOf(inbound);
    }
    if (!victim) return;
    this.logger.debug({ inbound: victim.isInbound }, 'rotation: a fresh link replaces another');
    victim.connection.close('rotation: replaced by a fresh peer');
  }
}

/**
 * The link active for the shortest time. Old links stay: an honest neighbour's rotation then
 * closes the links that rotations and newcomers just made, never the long-held links of the
 * nodes around it, which are what keeps a node under attack in honest company (§4.6 item 2).
 */
export function youngestOf(links: readonly PeerLink[]): PeerLink | undefined {
  let youngest: PeerLink | undefined;
  for (const link of links) if (!youngest || (link.activatedAt ?? 0) > (youngest.activatedAt ?? 0)) youngest = link;
  return youngest;
}
