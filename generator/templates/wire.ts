// Big-endian reads and writes and the checks every codec shares (docs/protocol.md §1); the header's
// own layout and checks are generated from its spec (generated/header.ts). A template:
// `npm run generate` copies it unchanged into generated/ (generator/templates/).
import { DecodeError, EncodeError } from './errors.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** A fixed field's name and byte range, used to say where a short frame ends. */
export interface FieldSpan {
  readonly name: string;
  readonly offset: number;
  readonly end: number;
}

export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

export function readU24(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! << 16) | (bytes[offset + 1]! << 8) | bytes[offset + 2]!;
}

export function readU32(bytes: Uint8Array, offset: number): number {
  // The top byte is multiplied, not shifted, so that the result stays unsigned.
  return bytes[offset]! * 0x100_0000 + ((bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!);
}

export function readU64(bytes: Uint8Array, offset: number): bigint {
  return (BigInt(readU32(bytes, offset)) << 32n) | BigInt(readU32(bytes, offset + 4));
}

export function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 8;
  bytes[offset + 1] = value;
}

export function writeU24(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 16;
  bytes[offset + 1] = value >>> 8;
  bytes[offset + 2] = value;
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

export function writeU64(bytes: Uint8Array, offset: number, value: bigint): void {
  writeU32(bytes, offset, Number(value >> 32n));
  writeU32(bytes, offset + 4, Number(value & 0xffff_ffffn));
}

export function wrongFixedSize(title: string, size: number, expected: number): DecodeError {
  return new DecodeError('wrong-fixed-size', 'size', 0, `${title} is always ${expected} bytes, size is ${size}`);
}

/** The error for a frame larger than its type allows (a bounded variable tail, e.g. IHAVE). */
export function sizeTooLarge(title: string, size: number, maxSize: number): DecodeError {
  return new DecodeError('size-too-large', 'size', 0, `${title} is at most ${maxSize} bytes, size is ${size}`);
}

/** The error for a frame shorter than its fixed fields: names the first field cut off. */
export function truncated(title: string, size: number, fields: readonly FieldSpan[]): DecodeError {
  const field = fields.find((span) => span.end > size) ?? fields[fields.length - 1]!;
  const needed = fields[fields.length - 1]!.end;
  return new DecodeError(
    'truncated',
    field.name,
    field.offset,
    `${title} needs at least ${needed} bytes, size is ${size}`,
  );
}

/** The error for a variable tail that is not a whole number of entries. */
export function partialEntry(
  title: string,
  field: string,
  start: number,
  size: number,
  entrySize: number,
): DecodeError {
  const offset = start + Math.floor((size - start) / entrySize) * entrySize;
  return new DecodeError(
    'partial-entry',
    field,
    offset,
    `${title}: ${size - start} bytes of ${field} are not a whole number of ${entrySize}-byte entries`,
  );
}

/** The error for bytes after the last field of a message without a variable tail. */
export function trailingBytes(title: string, size: number, end: number): DecodeError {
  return new DecodeError('trailing-bytes', 'size', end, `${title} ends at byte ${end}, size is ${size}`);
}

export function isUint(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

export function isU64(value: bigint): boolean {
  return typeof value === 'bigint' && value >= 0n && value <= U64_MAX;
}

export function outOfRange(field: string, value: number | bigint, max: number | bigint): EncodeError {
  return new EncodeError('out-of-range', field, `${String(value)} is not an integer in 0..${String(max)}`);
}

export function u64OutOfRange(field: string, value: bigint): EncodeError {
  return outOfRange(field, value, U64_MAX);
}

export function wrongLength(field: string, length: number, expected: number): EncodeError {
  return new EncodeError('out-of-range', field, `has ${length} bytes, must have ${expected}`);
}

export function tooLarge(field: string, size: number, maxSize: number): EncodeError {
  return new EncodeError('too-large', field, `the frame would be ${size} bytes, at most ${maxSize} fit`);
}
