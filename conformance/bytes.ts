/**
 * Building frames byte by byte (including malformed ones the codecs refuse to write) and
 * showing bytes in failure reports.
 */
import { HEADER_SIZE, MessageType, writeFrameHeader } from '../runtime/entry/codec.js';

/** Hex with a space every 4 bytes; long inputs are cut after `limit` bytes. */
export function hex(bytes: Uint8Array, limit = 64): string {
  const shown = Buffer.from(bytes.subarray(0, limit))
    .toString('hex')
    .replace(/(.{8})(?=.)/g, '$1 ');
  return bytes.length > limit ? `${shown} … (${bytes.length} bytes)` : shown;
}

/** Header, then body, with `size` = the whole frame's length unless `size` is given (§1). */
export function rawFrame(type: number, body: Uint8Array | number[], size?: number): Uint8Array {
  const bodyBytes = body instanceof Uint8Array ? body : Uint8Array.from(body);
  const frame = new Uint8Array(HEADER_SIZE + bodyBytes.length);
  writeFrameHeader(frame, size ?? frame.length, type);
  frame.set(bodyBytes, HEADER_SIZE);
  return frame;
}

/** Big-endian u16 bytes. */
export function u16(value: number): number[] {
  return [(value >> 8) & 0xff, value & 0xff];
}

/** Big-endian u64 bytes. */
export function u64(value: bigint): number[] {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value);
  return [...bytes];
}

/** A VALIDATION frame with the whole 16-bit word given, reserved bits included (§3). */
export function validationWord(messageId: number, word: number): Uint8Array {
  return rawFrame(MessageType.GOSSIP_VALIDATION, [...u16(messageId), ...u16(word)]);
}

/** An ANNOUNCE frame with a chosen reserved byte (§3; reserved must be ignored, §1). */
export function announceWithReserved(ttl: number, reserved: number, dataType: number, data: Uint8Array): Uint8Array {
  return rawFrame(MessageType.GOSSIP_ANNOUNCE, [ttl, reserved, ...u16(dataType), ...data]);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
