/**
 * Checking a proof of work (docs/protocol.md §4.1): SHA-256 of the frame's proof preimage must begin
 * with `difficultyBits` zero bits. The preimage (preimage.ts) is the whole frame for a
 * VERIFICATION RESPONSE and size, type, nonce, challenge ‖ SHA-256(rest) for a PEER RESPONSE.
 * Two hashes at most per check, so node:crypto is plenty; solving lives in pool.ts.
 */
import { PowError } from '../errors.js';
import { proofDigest } from './preimage.js';

/** SHA-256 digests have 256 bits; a difficulty beyond that can never be met. */
export const MAX_DIFFICULTY_BITS = 256;

/** Throws PowError('bad-difficulty') unless 0 ≤ bits ≤ 256 is an integer. */
export function assertDifficulty(difficultyBits: number): void {
  if (!Number.isInteger(difficultyBits) || difficultyBits < 0 || difficultyBits > MAX_DIFFICULTY_BITS) {
    throw new PowError(
      'bad-difficulty',
      `proof-of-work difficulty must be an integer 0..${MAX_DIFFICULTY_BITS}, got ${difficultyBits}`,
    );
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

/**
 * Whether the frame carries a proof of `difficultyBits`: SHA-256 of its proof preimage (the
 * whole frame, or for a PEER RESPONSE the 52-byte string of preimage.ts) starts with at least
 * that many zero bits. The frame's type decides which.
 */
export function hasProofOfWork(frame: Uint8Array, difficultyBits: number): boolean {
  assertDifficulty(difficultyBits);
  return leadingZeroBits(proofDigest(frame)) >= difficultyBits;
}
