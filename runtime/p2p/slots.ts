/**
 * The slot accounting of the eclipse defence (docs/protocol.md §4.6 item 1): outbound slots
 * hold peers this node chose, inbound slots hold peers that chose it, counted apart so that
 * inbound peers can never take the place of our own choices.
 *
 *   outbound links  ≤ degree + 1    (the extra one a rotation's; degree + 2 for the moment a
 *                                    rotation's fresh link replaces an older outbound link)
 *   inbound links   ≤ max_peers - max(degree, outbound links held); those from origins
 *                     that keep knocking (§4.6 item 5) also ≤ max(1, ⌊active outbound
 *                     links / 2⌋)
 *   in all          ≤ max_peers     (+1 for the moment a rotation's link replaces another)
 */
import type { PeerLink } from './link.js';

export interface SlotSettings {
  readonly degree: number;
  readonly maxPeers: number;
}

export interface SlotCounts {
  readonly outboundActive: number;
  readonly outboundPending: number;
  readonly inboundActive: number;
}

export function countSlots(links: Iterable<PeerLink>): SlotCounts {
  let outboundActive = 0;
  let outboundPending = 0;
  let inboundActive = 0;
  for (const link of links) {
    if (link.isInbound) {
      if (link.isActive) inboundActive++;
    } else if (link.isActive) outboundActive++;
    else if (link.isHandshaking) outboundPending++;
  }
  return { outboundActive, outboundPending, inboundActive };
}

/** Outbound slots still to fill by dialing (links being dialed count as taken). */
export function freeOutboundSlots(counts: SlotCounts, settings: SlotSettings, dialing: number): number {
  return Math.max(0, settings.degree - counts.outboundActive - counts.outboundPending - dialing);
}

/** How many inbound links the node may hold now (§4.6 item 1). */
export function inboundCap(counts: SlotCounts, settings: SlotSettings): number {
  return settings.maxPeers - Math.max(settings.degree, counts.outboundActive);
}

/** May a verified inbound link become active, or must it be referred elsewhere (§4.2 item 9)? */
export function hasInboundSlot(counts: SlotCounts, settings: SlotSettings): boolean {
  return counts.inboundActive < inboundCap(counts, settings);
}

/**
 * How many inbound links from knocking origins the node may hold (§4.6 item 5): half its
 * active outbound links, the peers of its own choice (rounded down), at least one. Knockers
 * alone then hold at most a third of its links, and the rest of an attacker's links, those
 * from origins not knocking yet, are bounded by paced admission (item 6): together under
 * half. A replacement still being dialed does not count: while it is, a knocker's link
 * waits outside.
 */
export function knockerCap(counts: SlotCounts): number {
  return Math.max(1, Math.floor(counts.outboundActive / 2));
}

/** May a link we dialed become active? A rotation's link may use the extra slots (it then closes one). */
export function hasOutboundSlot(counts: SlotCounts, settings: SlotSettings, isRotation: boolean): boolean {
  return counts.outboundActive < settings.degree + (isRotation ? 2 : 0);
}
