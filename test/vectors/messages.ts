// Wire vectors written by hand from docs/protocol.md §2–§4 (not produced by the encoder), shared
// by the codec tests and the conformance suite. Hex may contain spaces for readability.
import type { DecodeErrorCode, Frame } from '../../generated/index.js';

export interface ValidVector {
  name: string;
  /** docs/protocol.md section the layout comes from. */
  section: string;
  hex: string;
  frame: Frame;
  /** False when the bytes carry non-zero reserved bits: they decode, but re-encode with zeros. */
  isCanonical: boolean;
}

export interface InvalidVector {
  name: string;
  section: string;
  hex: string;
  code: DecodeErrorCode;
  field: string;
  offset: number;
}

export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

export const VALID_VECTORS: readonly ValidVector[] = [
  {
    name: 'ANNOUNCE from a simple test client: ttl 4, data type 1337, "deadbeef"',
    section: '3',
    hex: '0010 01f4 04 00 0539 6465616462656566',
    frame: { type: 500, message: { ttl: 4, dataType: 1337, data: ascii('deadbeef') } },
    isCanonical: true,
  },
  {
    name: 'ANNOUNCE with empty data and ttl 255',
    section: '3',
    hex: '0008 01f4 ff 00 ffff',
    frame: { type: 500, message: { ttl: 255, dataType: 0xffff, data: new Uint8Array(0) } },
    isCanonical: true,
  },
  {
    name: 'ANNOUNCE with the reserved byte set (ignored on input)',
    section: '1',
    hex: '0009 01f4 00 7f 0001 2a',
    frame: { type: 500, message: { ttl: 0, dataType: 1, data: Uint8Array.of(0x2a) } },
    isCanonical: false,
  },
  {
    name: 'NOTIFY for data type 1337',
    section: '3',
    hex: '0008 01f5 0000 0539',
    frame: { type: 501, message: { dataType: 1337 } },
    isCanonical: true,
  },
  {
    name: 'NOTIFICATION with message id 0xabcd and data "hi!"',
    section: '3',
    hex: '000b 01f6 abcd 0539 686921',
    frame: { type: 502, message: { messageId: 0xabcd, dataType: 1337, data: ascii('hi!') } },
    isCanonical: true,
  },
  {
    name: 'VALIDATION valid=1 for message id 0x1234',
    section: '3',
    hex: '0008 01f7 1234 0001',
    frame: { type: 503, message: { messageId: 0x1234, valid: true } },
    isCanonical: true,
  },
  {
    name: 'VALIDATION valid=0 with all 15 reserved bits set (read as word & 1)',
    section: '3.1',
    hex: '0008 01f7 0000 fffe',
    frame: { type: 503, message: { messageId: 0, valid: false } },
    isCanonical: false,
  },
  {
    name: 'PEER REQUEST limit 30 with a 64-bit nonce',
    section: '4',
    hex: '0010 01f8 1e 000000 0123456789abcdef',
    frame: { type: 504, message: { limit: 30, nonce: 0x0123456789abcdefn } },
    isCanonical: true,
  },
  {
    name: 'PEER RESPONSE with two IPv4 entries (x = 0)',
    section: '4',
    hex: '0024 01f9 0123456789abcdef ffffffffffffffff 00000000 7f000001 1771 839f0f3d 1771',
    frame: {
      type: 505,
      message: {
        nonce: 0x0123456789abcdefn,
        challenge: 0xffffffffffffffffn,
        isIpv6: false,
        entries: [
          { addr: Uint8Array.of(127, 0, 0, 1), port: 6001 },
          { addr: Uint8Array.of(131, 159, 15, 61), port: 6001 },
        ],
      },
    },
    isCanonical: true,
  },
  {
    name: 'PEER RESPONSE with one IPv6 entry (x = 1, the most significant bit)',
    section: '4',
    hex: '002a 01f9 0000000000000001 000000000000002a 80000000 00000000000000000000000000000001 1b59',
    frame: {
      type: 505,
      message: {
        nonce: 1n,
        challenge: 42n,
        isIpv6: true,
        entries: [{ addr: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), port: 7001 }],
      },
    },
    isCanonical: true,
  },
  {
    name: 'PEER RESPONSE with no entries and reserved bits set',
    section: '4',
    hex: '0018 01f9 0000000000000000 0000000000000000 7fffffff',
    frame: { type: 505, message: { nonce: 0n, challenge: 0n, isIpv6: false, entries: [] } },
    isCanonical: false,
  },
  {
    name: 'VERIFICATION REQUEST',
    section: '4',
    hex: '000c 01fa fedcba9876543210',
    frame: { type: 506, message: { nonce: 0xfedcba9876543210n } },
    isCanonical: true,
  },
  {
    name: 'VERIFICATION RESPONSE',
    section: '4',
    hex: '0014 01fb fedcba9876543210 000000000012d687',
    frame: { type: 507, message: { nonce: 0xfedcba9876543210n, challenge: 1234567n } },
    isCanonical: true,
  },
  {
    name: 'HELLO listening on port 6001',
    section: '4',
    hex: '0008 01fc 1771 0000',
    frame: { type: 508, message: { listenPort: 6001 } },
    isCanonical: true,
  },
  {
    name: 'IHAVE of two item ids',
    section: '4',
    hex: '0018 01fd 00000000 0102030405060708 a1a2a3a4a5a6a7a8',
    frame: {
      type: 509,
      message: { ids: [{ id: hexBytes('0102030405060708') }, { id: hexBytes('a1a2a3a4a5a6a7a8') }] },
    },
    isCanonical: true,
  },
  {
    name: 'IHAVE with no id and a non-zero reserved word',
    section: '4',
    hex: '0008 01fd ffffffff',
    frame: { type: 509, message: { ids: [] } },
    isCanonical: false,
  },
  {
    name: 'GRAFT of one item id',
    section: '4',
    hex: '0010 01fe 00000000 00112233445566ff',
    frame: { type: 510, message: { ids: [{ id: hexBytes('00112233445566ff') }] } },
    isCanonical: true,
  },
  {
    name: 'PRUNE',
    section: '4',
    hex: '0008 01ff 00000000',
    frame: { type: 511, message: {} },
    isCanonical: true,
  },
];

export const INVALID_VECTORS: readonly InvalidVector[] = [
  { name: 'fewer bytes than a header', section: '1', hex: '0008 01', code: 'truncated', field: 'size', offset: 3 },
  {
    name: 'size 3, below the header',
    section: '1',
    hex: '0003 01f4',
    code: 'size-too-small',
    field: 'size',
    offset: 0,
  },
  {
    name: 'size says 16, buffer holds 8',
    section: '1',
    hex: '0010 01f4 04 00 0539',
    code: 'size-mismatch',
    field: 'size',
    offset: 0,
  },
  {
    name: 'ANNOUNCE cut inside data_type',
    section: '1',
    hex: '0007 01f4 04 00 05',
    code: 'truncated',
    field: 'dataType',
    offset: 6,
  },
  { name: 'ANNOUNCE with only a header', section: '1', hex: '0004 01f4', code: 'truncated', field: 'ttl', offset: 4 },
  {
    name: 'NOTIFY of 9 bytes',
    section: '1',
    hex: '0009 01f5 0000 0539 00',
    code: 'wrong-fixed-size',
    field: 'size',
    offset: 0,
  },
  {
    name: 'VALIDATION of 6 bytes',
    section: '1',
    hex: '0006 01f7 1234',
    code: 'wrong-fixed-size',
    field: 'size',
    offset: 0,
  },
  {
    name: "PEER REQUEST of 12 bytes (the seed's 32-bit nonce)",
    section: '4',
    hex: '000c 01f8 1e000000 01234567',
    code: 'wrong-fixed-size',
    field: 'size',
    offset: 0,
  },
  {
    name: 'HELLO of 10 bytes',
    section: '1',
    hex: '000a 01fc 1771 0000 0000',
    code: 'wrong-fixed-size',
    field: 'size',
    offset: 0,
  },
  {
    name: 'VERIFICATION RESPONSE of 12 bytes',
    section: '1',
    hex: '000c 01fb fedcba9876543210',
    code: 'wrong-fixed-size',
    field: 'size',
    offset: 0,
  },
  {
    name: 'PEER RESPONSE cut inside the challenge',
    section: '1',
    hex: '0010 01f9 0000000000000000 00000000',
    code: 'truncated',
    field: 'challenge',
    offset: 12,
  },
  {
    name: 'PEER RESPONSE with 5 address bytes (IPv4 entries are 6)',
    section: '1',
    hex: '001d 01f9 0000000000000000 0000000000000000 00000000 7f00000117',
    code: 'partial-entry',
    field: 'entries',
    offset: 24,
  },
  {
    name: 'PEER RESPONSE x=1 with one IPv4-sized entry',
    section: '1',
    hex: '001e 01f9 0000000000000000 0000000000000000 80000000 7f0000011771',
    code: 'partial-entry',
    field: 'entries',
    offset: 24,
  },
  { name: 'an NSE type (520)', section: '2', hex: '0004 0208', code: 'unknown-type', field: 'type', offset: 2 },
  {
    name: 'a reserved Gossip type (512)',
    section: '2',
    hex: '0008 0200 0000 0000',
    code: 'unknown-type',
    field: 'type',
    offset: 2,
  },
  {
    name: 'IHAVE with an id cut short',
    section: '1',
    hex: '000c 01fd 00000000 01020304',
    code: 'partial-entry',
    field: 'ids',
    offset: 8,
  },
  {
    name: 'GRAFT with 257 ids',
    section: '1',
    hex: '0810 01fe 00000000' + '00'.repeat(257 * 8),
    code: 'size-too-large',
    field: 'size',
    offset: 0,
  },
  {
    name: 'PRUNE with a trailing byte',
    section: '1',
    hex: '0009 01ff 00000000 00',
    code: 'wrong-fixed-size',
    field: 'size',
    offset: 0,
  },
];
