/**
 * Checking a proof of work (PROTOCOL.md §4.1): SHA-256 of the WHOLE response frame, header
 * and challenge included, must begin with `difficultyBits` zero bits. One hash per check, so
 * node:crypto is plenty; solving lives in pool.ts.
 */
import { createHash } from 'node:crypto';
import { PowError } from '../errors.js';

/** SHA-256 digests have 256 bits; a difficulty beyond that can never be met. */
export const MAX_DIFFICULTY_BITS = 256;

/** Throws PowError('bad-difficulty') unless 0 ≤ bits ≤ 256 is an integer. */
export function assertDifficulty(difficultyBits: number): void {
  if (!Number.isInteger(difficultyBits) || difficultyBits < 0 || difficultyBits > MAX_DIFFICULTY_BITS) {
    throw new PowError('bad-difficulty', `proof-of-work difficulty must be an integer 0..${MAX_DIFFICULTY_BITS}, got ${difficultyBits}`);
  }
}

/** Number of zero bits before the first 1 bit (the whole length if all bytes are 0). */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

/** Whether SHA-256(frame) starts with at least `difficultyBits` zero bits (PROTOCOL.md §4.1). */
export function hasProofOfWork(frame: Uint8Array, difficultyBits: number): boolean {
  assertDifficulty(difficultyBits);
  return leadingZeroBits(createHash('sha256').update(frame).digest()) >= difficultyBits;
}
