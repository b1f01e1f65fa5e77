/**
 * A peer's listen address (docs/protocol.md §4.2 item 3) and the conversions the overlay needs:
 * to and from PEER RESPONSE entries (§4), and the subnet a peer counts against for the
 * eclipse defence's cap (§4.3: /24 for IPv4, /48 for IPv6).
 */
import ipaddr from 'ipaddr.js';
import type { PeerAddress } from '../../generated/index.js';
import type { Address } from '../host-port.js';

/** Peer addresses are the project's one address type (runtime/host-port.ts). */
export type { Address };

/** `host:port`, IPv6 in brackets: the key of a peer in every map of the overlay. */
export function addressKey(address: Address): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export function isIpv6(address: Address): boolean {
  return address.host.includes(':');
}

/** Normalises an IP literal (e.g. `::ffff:1.2.3.4` → `1.2.3.4`, `0:0::1` → `::1`). */
export function normaliseHost(host: string): string {
  return ipaddr.process(host).toString();
}

export function toPeerAddress(address: Address): PeerAddress {
  return { addr: Uint8Array.from(ipaddr.parse(address.host).toByteArray()), port: address.port };
}

export function fromPeerAddress(entry: PeerAddress): Address {
  return { host: normaliseHost(ipaddr.fromByteArray([...entry.addr]).toString()), port: entry.port };
}

export function isLoopback(host: string): boolean {
  return ipaddr.process(host).range() === 'loopback';
}

/** The /24 (IPv4) or /48 (IPv6) the host belongs to, as a string key. */
export function subnetKey(host: string): string {
  const bytes = ipaddr.process(host).toByteArray();
  return bytes.length === 4
    ? `v4:${bytes.slice(0, 3).join('.')}`
    : `v6:${Buffer.from(bytes.slice(0, 6)).toString('hex')}`;
}

/** Addresses nobody can be reached at: never dialed, never listed. */
export function isUsable(address: Address): boolean {
  if (address.port === 0 || !ipaddr.isValid(address.host)) return false;
  const range = ipaddr.process(address.host).range();
  return range !== 'unspecified' && range !== 'multicast' && range !== 'broadcast';
}
