/**
 * Which addresses from a PEER RESPONSE may be dialed (docs/protocol.md §4.3 "Candidates"):
 * never this node itself (on any of its listening ports, in any spelling) and never an
 * address nobody can be reached at. Anything else a peer sends is its problem, not ours.
 */
import ipaddr from 'ipaddr.js';
import { isUsable, normaliseHost, type Address } from './peer-address.js';

/** The addresses this node listens on (P2P, API, metrics), as bound. */
export interface OwnAddresses {
  readonly listening: readonly Address[];
}

function isWildcard(host: string): boolean {
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'unspecified';
}

export class CandidateCheck {
  private readonly exact = new Set<string>();
  private readonly wildcardPorts = new Set<number>();

  constructor(own: OwnAddresses) {
    for (const address of own.listening) {
      if (isWildcard(address.host)) this.wildcardPorts.add(address.port);
      else if (ipaddr.isValid(address.host)) this.exact.add(`${normaliseHost(address.host)}|${address.port}`);
    }
  }

  /** Why `address` must never be dialed, or null when it may be. */
  problemOf(address: Address): string | null {
    if (!isUsable(address)) return 'unusable address (port 0, unspecified, multicast or broadcast)';
    // normaliseHost unwraps ::ffff:a.b.c.d, so the mapped spelling of our address matches too.
    if (this.exact.has(`${normaliseHost(address.host)}|${address.port}`)) return 'one of our own listen addresses';
    if (this.wildcardPorts.has(address.port)) return 'our port on an address we listen on (wildcard)';
    return null;
  }
}
