/**
 * Listen / dial addresses of the config (docs/protocol.md §5): `1.2.3.4:6001`, `[::1]:6001` or
 * `hostname:6001`. IPv4 must be dotted decimal (no `0x7f.1` or octal forms that some
 * resolvers read differently); IPv6 must be bracketed; hostnames follow RFC 1123.
 */
import ipaddr from 'ipaddr.js';

/**
 * The one address type: where something listens or is dialed. `host` is an IP literal (IPv6
 * without brackets) or a host name.
 */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/** An address as the config wrote it, with the family its text named. */
export interface HostPort extends Address {
  readonly family: 4 | 6 | 'hostname';
}

/** An address, or a one-line reason why the text is not one. */
export type HostPortParse = { ok: true; value: HostPort } | { ok: false; reason: string };

const MAX_HOSTNAME_LENGTH = 253;
const HOSTNAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const DOTS_AND_DIGITS = /^[0-9.]+$/;

/**
 * Parse `host:port`; ports 1..65535, or 0..65535 for an address to listen on (`listen`:
 * port 0 asks the kernel for a free port, which the daemon then logs).
 */
export function parseHostPort(text: string, listen = false): HostPortParse {
  const input = text.trim();
  if (input === '') return fail('empty address, expected host:port');
  if (input.startsWith('[')) return parseBracketed(input, listen);

  const colon = input.lastIndexOf(':');
  if (colon < 0) return fail(`missing ":port" in ${show(input)}`);
  const host = input.slice(0, colon);
  if (host.includes(':')) return fail(`IPv6 address must be in brackets, e.g. [::1]:6001, got ${show(input)}`);
  const port = parsePort(input.slice(colon + 1), listen);
  if (typeof port === 'string') return fail(port);
  if (host === '') return fail(`missing host before ":${port}"`);

  if (DOTS_AND_DIGITS.test(host)) {
    // Looks numeric, so it must be an IPv4 address: "1.2.3.999" is a typo, not a hostname.
    if (!ipaddr.IPv4.isValidFourPartDecimal(host)) return fail(`${show(host)} is not a valid IPv4 address`);
    return ok({ host, port, family: 4 });
  }
  const hostnameProblem = checkHostname(host);
  if (hostnameProblem !== null) return fail(hostnameProblem);
  return ok({ host, port, family: 'hostname' });
}

/** `host:port` as a user writes it (brackets around IPv6). */
export function formatHostPort(address: HostPort): string {
  return address.family === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function parseBracketed(input: string, listen: boolean): HostPortParse {
  const match = /^\[([^\]]*)\](.*)$/.exec(input);
  if (match === null) return fail(`missing "]" in ${show(input)}`);
  const [, host = '', rest = ''] = match;
  if (!rest.startsWith(':')) return fail(`missing ":port" after [${host}]`);
  if (ipaddr.IPv4.isValidFourPartDecimal(host)) return fail(`brackets are for IPv6 only, write ${host}${rest}`);
  if (!ipaddr.IPv6.isValid(host)) return fail(`${show(host)} is not a valid IPv6 address`);
  const port = parsePort(rest.slice(1), listen);
  if (typeof port === 'string') return fail(port);
  return ok({ host, port, family: 6 });
}

/** The port, or a reason string. */
function parsePort(text: string, listen: boolean): number | string {
  if (text === '') return 'missing port number after ":"';
  const port = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  const lowest = listen ? 0 : 1;
  if (!(port >= lowest && port <= 65535)) return `port must be ${lowest}..65535, got ${show(text)}`;
  return port;
}

/** RFC 1123 host name (one trailing dot allowed); null when fine. */
function checkHostname(host: string): string | null {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length > MAX_HOSTNAME_LENGTH) return `host name longer than ${MAX_HOSTNAME_LENGTH} characters`;
  const labels = name.split('.');
  if (!labels.every((label) => HOSTNAME_LABEL.test(label))) return `${show(host)} is not a valid host name`;
  // RFC 3696 §2: a top-level label is never all-numeric.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return `${show(host)} is not a valid host name`;
  return null;
}

/** Quote user text for a one-line message, bounded so a huge value cannot flood the log. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}..."` : text;
}

function ok(value: HostPort): HostPortParse {
  return { ok: true, value };
}

function fail(reason: string): HostPortParse {
  return { ok: false, reason };
}
