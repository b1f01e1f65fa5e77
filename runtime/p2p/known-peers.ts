/**
 * The known-peers list and the candidates (docs/protocol.md §4.2, §4.3).
 *
 * Known peers are the listen addresses of verified, active links; nothing enters the list
 * any other way, and a peer leaves it when its link closes. Candidates are addresses
 * learned from PEER RESPONSEs, waiting to be dialed and verified. Both respect the subnet
 * cap of the eclipse defence (loopback exempt unless the setting lifts it).
 */
import { addressKey, isLoopback, subnetKey, type Address } from './peer-address.js';

export interface SubnetCap {
  readonly perV4Subnet: number;
  readonly perV6Subnet: number;
  readonly isLoopbackExempt: boolean;
}

/** A candidate and who gave it: the peer's address key, or 'kept' for the peers file (§4.7). */
interface Candidate {
  readonly address: Address;
  readonly source: string;
}

/** Candidates kept at most: enough to heal, bounded against a peer that sends thousands. */
const MAX_CANDIDATES = 1_000;

export class KnownPeers {
  private readonly known = new Map<string, Address>();
  private readonly candidates = new Map<string, Candidate>();

  /** Runs after every change of the known peers (the peers file follows them, §4.7). */
  onChange: () => void = () => {};

  constructor(private readonly cap: SubnetCap) {}

  get size(): number {
    return this.known.size;
  }

  get candidateCount(): number {
    return this.candidates.size;
  }

  has(address: Address): boolean {
    return this.known.has(addressKey(address));
  }

  list(): Address[] {
    return [...this.known.values()];
  }

  /** Would listing `address` exceed its subnet's cap? */
  isSubnetFull(address: Address): boolean {
    if (this.cap.isLoopbackExempt && isLoopback(address.host)) return false;
    const subnet = subnetKey(address.host);
    const limit = subnet.startsWith('v4:') ? this.cap.perV4Subnet : this.cap.perV6Subnet;
    let count = 0;
    for (const peer of this.known.values()) if (subnetKey(peer.host) === subnet) count++;
    return count >= limit;
  }

  /** Lists a verified peer; false when its subnet is full (the caller closes the link). */
  add(address: Address): boolean {
    const key = addressKey(address);
    if (this.known.has(key)) return true;
    if (this.isSubnetFull(address)) return false;
    this.known.set(key, address);
    this.candidates.delete(key);
    this.onChange();
    return true;
  }

  remove(address: Address): void {
    if (this.known.delete(addressKey(address))) this.onChange();
  }

  /** Keeps `address` to dial later; true when it was new (neither known nor a candidate). */
  addCandidate(address: Address, source = 'kept'): boolean {
    const key = addressKey(address);
    if (this.known.has(key) || this.candidates.has(key)) return false;
    if (this.candidates.size >= MAX_CANDIDATES) {
      const oldest = this.candidates.keys().next().value as string;
      this.candidates.delete(oldest);
    }
    this.candidates.set(key, { address, source });
    return true;
  }

  removeCandidate(address: Address): void {
    this.candidates.delete(addressKey(address));
  }

  /**
   * Up to `count` candidates, skipping those `isExcluded` rejects and full subnets. The eclipse
   * defence (§4.6 item 3) picks evenly across the peers that gave them, so that one peer
   * flooding us with its friends is one source among several, and within a source prefers
   * subnets none of `linkedSubnets` (ours, and those already picked) is in.
   */
  pickCandidates(
    count: number,
    isExcluded: (address: Address) => boolean,
    linkedSubnets: Set<string> = new Set(),
  ): Address[] {
    const bySource = new Map<string, Address[]>();
    for (const { address, source } of this.candidates.values()) {
      if (isExcluded(address) || this.isSubnetFull(address)) continue;
      bySource.set(source, [...(bySource.get(source) ?? []), address]);
    }
    const subnets = new Set(linkedSubnets);
    const picks: Address[] = [];
    while (picks.length < count && bySource.size > 0) {
      const sources = [...bySource.keys()];
      const source = sources[Math.floor(Math.random() * sources.length)]!;
      const pool = shuffle(bySource.get(source)!);
      const index = Math.max(
        0,
        pool.findIndex((a) => !subnets.has(subnetKey(a.host))),
      );
      const [pick] = pool.splice(index, 1);
      if (pool.length === 0) bySource.delete(source);
      subnets.add(subnetKey(pick!.host));
      picks.push(pick!);
    }
    return picks;
  }
}

export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
