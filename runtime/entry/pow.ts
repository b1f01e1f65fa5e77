/**
 * `voidphone-gossip/pow`: proofs of work as docs/protocol.md §4.1 defines them, for tools and
 * peers that speak the P2P protocol. `hasProofOfWork(frame, bits)` checks a VERIFICATION or
 * PEER RESPONSE; `new PowPool(threads).solve(frame, CHALLENGE_OFFSET, bits)` finds a challenge
 * on worker threads (never on the caller's event loop, §6); `close()` stops the workers.
 */
export { PowError } from '../errors.js';
export { PowPool } from '../pow/pool.js';
export { proofDigest, proofPreimage } from '../pow/preimage.js';
export { hasProofOfWork, leadingZeroBits, MAX_DIFFICULTY_BITS } from '../pow/verify.js';
