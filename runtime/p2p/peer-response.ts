/**
 * What a PEER RESPONSE carries (docs/protocol.md §4, §4.3): choosing the addresses to give and
 * reading the candidates out of one. The overlay decides when; this file decides what.
 */
import { GossipPeerResponse } from '../../generated/index.js';
import { shuffle } from './known-peers.js';
import { addressKey, fromPeerAddress, isIpv6, isUsable, toPeerAddress, type Address } from './peer-address.js';

/**
 * Unsolved PEER RESPONSE frames (challenge 0) answering `nonce` with a random sample of
 * `known`, at most `limit` addresses, never the requester's own. One frame per address
 * family (§4 errata: a response carries one family); an empty IPv4 one when there is nobody.
 */
export function peerResponseFrames(
  nonce: bigint,
  known: Address[],
  requester: Address | null,
  limit: number,
): Uint8Array[] {
  const requesterKey = requester ? addressKey(requester) : '';
  const peers = shuffle(known.filter((address) => addressKey(address) !== requesterKey)).slice(0, limit);
  const v4 = peers.filter((address) => !isIpv6(address));
  const v6 = peers.filter((address) => isIpv6(address));
  const families: [boolean, Address[]][] = [];
  if (v4.length > 0 || v6.length === 0) families.push([false, v4]);
  if (v6.length > 0) families.push([true, v6]);
  return families.map(([isV6, entries]) =>
    GossipPeerResponse.encode({ nonce, challenge: 0n, isIpv6: isV6, entries: entries.map(toPeerAddress) }),
  );
}

/** The dialable addresses of a verified PEER RESPONSE, leaving out our own. */
export function candidatesIn(response: GossipPeerResponse, self: Address): Address[] {
  const selfKey = addressKey(self);
  return response.entries
    .map(fromPeerAddress)
    .filter((address) => isUsable(address) && addressKey(address) !== selfKey);
}
