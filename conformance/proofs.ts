/**
 * Proofs of work as the suite's peer makes them (docs/protocol.md §4.1): good ones solved on a
 * shared worker pool (never on the event loop, §6), bad ones on purpose, and the nonces they
 * answer. What a proof hashes is the package's rule (`voidphone-gossip/pow`): the whole frame
 * for a VERIFICATION RESPONSE, head ‖ SHA-256(address list) for a PEER RESPONSE.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { CHALLENGE_OFFSET } from '../runtime/entry/codec.js';
import { PowPool, leadingZeroBits, proofDigest } from '../runtime/entry/pow.js';

let sharedPool: PowPool | null = null;

/** The run's proof-of-work pool (made on first use; closed by closeSharedPow). */
function pool(): PowPool {
  sharedPool ??= new PowPool(Math.max(1, Math.min(2, availableParallelism())));
  return sharedPool;
}

/** Stops the shared pool's workers (the suite at the end of a run; tests in an `after` hook). */
export async function closeSharedPow(): Promise<void> {
  const closing = sharedPool;
  sharedPool = null;
  await closing?.close();
}

export function randomNonce(): bigint {
  return randomBytes(8).readBigUInt64BE();
}

/** Writes `challenge` into a copy of `frame` at CHALLENGE_OFFSET (§4.1). */
export function withChallenge(frame: Uint8Array, challenge: bigint): Uint8Array {
  const copy = Uint8Array.from(frame);
  new DataView(copy.buffer).setBigUint64(CHALLENGE_OFFSET, challenge);
  return copy;
}

/** `frame` with a challenge that proves it with `bits` zero bits, solved on the shared pool. */
export async function prove(frame: Uint8Array, bits: number): Promise<Uint8Array> {
  return withChallenge(frame, await pool().solve(frame, CHALLENGE_OFFSET, bits));
}

/**
 * `prove` on the calling thread, for code that cannot wait (in-process tests of a few bits:
 * each bit doubles the work, and the event loop waits for all of it).
 */
export function proveInline(frame: Uint8Array, bits: number): Uint8Array {
  for (let challenge = 0n; ; challenge++) {
    const candidate = withChallenge(frame, challenge);
    if (leadingZeroBits(proofDigest(candidate)) >= bits) return candidate;
  }
}

/** `frame` with a challenge whose proof hash has FEWER than `bits` zero bits (bits ≥ 1). */
export function disprove(frame: Uint8Array, bits: number): Uint8Array {
  for (;;) {
    const candidate = withChallenge(frame, randomNonce());
    if (leadingZeroBits(proofDigest(candidate)) < bits) return candidate;
  }
}

/** A frame's u64 nonce at offset 4 (506, 507, 505 and, at 8, 504). */
export function nonceAt(frame: Uint8Array, offset = 4): bigint {
  return Buffer.from(frame).readBigUInt64BE(offset);
}

/** Extra time a proof may take to solve: 2^bits hashes at ≥ 1 M hashes/s, doubled. */
export function proofAllowanceMs(bits: number): number {
  return Math.ceil((2 ** bits / 1_000_000) * 2_000);
}
