/**
 * What a proof of work hashes: the one place that says it, used by solving (pool.ts), checking
 * (verify.ts) and the test peers. The rule (docs/protocol.md §4.1, constant proof cost:
 * one SHA-256 block per attempt whatever the list's length):
 *
 *   - VERIFICATION RESPONSE (and any other frame): SHA-256 of the whole frame, challenge in place.
 *   - PEER RESPONSE: SHA-256 of the 52 bytes  frame[0..20) ‖ SHA-256(frame[20..end)),
 *     i.e. size, type, nonce and challenge, then the digest of the x/reserved word and every
 *     address entry.
 *
 * Either way the proof is `pow_difficulty` leading zero bits of that hash. For a PEER RESPONSE
 * one attempt is one SHA-256 block (as for a VERIFICATION RESPONSE) whatever the list's length,
 * and every byte of the list is still bound, through its digest.
 */
import { createHash } from 'node:crypto';
import { frameTypeOf, HEADER_SIZE, MessageType } from '../../generated/index.js';

/** Bytes of a PEER RESPONSE hashed as they are: size, type, nonce, challenge. */
export const PEER_RESPONSE_HEAD_SIZE = 20;
/** Length of a PEER RESPONSE's proof preimage: the head and a SHA-256 digest. */
export const PEER_RESPONSE_PREIMAGE_SIZE = PEER_RESPONSE_HEAD_SIZE + 32;

/** The frame's type from its header, or -1 for a frame too short to have one. */
function typeOf(frame: Uint8Array): number {
  return frame.length >= HEADER_SIZE ? frameTypeOf(frame) : -1;
}

/** Whether the frame's proof hashes a digest of its tail (a PEER RESPONSE) rather than the whole frame. */
export function hasDigestedTail(frame: Uint8Array): boolean {
  return typeOf(frame) === MessageType.GOSSIP_PEER_RESPONSE;
}

/**
 * The bytes whose SHA-256 must have `pow_difficulty` leading zero bits. A PEER RESPONSE gives
 * a new 52-byte array with the challenge at the same offset as in the frame (the head is
 * copied as is); any other frame is returned itself (not copied).
 */
export function proofPreimage(frame: Uint8Array): Uint8Array {
  if (!hasDigestedTail(frame)) return frame;
  const preimage = new Uint8Array(PEER_RESPONSE_PREIMAGE_SIZE);
  preimage.set(frame.subarray(0, PEER_RESPONSE_HEAD_SIZE));
  preimage.set(createHash('sha256').update(frame.subarray(PEER_RESPONSE_HEAD_SIZE)).digest(), PEER_RESPONSE_HEAD_SIZE);
  return preimage;
}

/** SHA-256 of the frame's proof preimage: the hash whose leading zero bits are the proof. */
export function proofDigest(frame: Uint8Array): Uint8Array {
  return createHash('sha256').update(proofPreimage(frame)).digest();
}
