// Types for kernel.mjs (plain JavaScript so that worker threads load it without a TS loader).

/** The challenge's high half is this message word of block 0 (the low half the next one). */
export declare const KERNEL_CHALLENGE_WORD: number;

/** The kernel hashes challenges at this frame offset (4 · KERNEL_CHALLENGE_WORD); the protocol's is CHALLENGE_OFFSET. */
export declare const KERNEL_CHALLENGE_OFFSET: number;

/** Memory layout in 32-bit words, shared with the kernel's generator (kernel-wat.ts). */
export declare const LAYOUT: Readonly<{
  round4A: number;
  round4E: number;
  state3: number;
  constants: number;
  laterBlocks: number;
  hitDigestWord0: number;
  laterBlockWords: number;
}>;

/** SHA-256 round constants. */
export declare const K: Uint32Array;

/** SHA-256 initial hash value. */
export declare const IV: readonly number[];

/** Searches proof-of-work challenges for one frame with the WebAssembly kernel. */
export declare class ChallengeSearch {
  constructor(frame: Uint8Array);
  /** Fixes the challenge's high 32 bits and precomputes what follows from them. */
  setHigh(high: number): void;
  /** Tries challenges (high, low … low + 4·groups − 1); the first with enough zero bits, or null. */
  search(low: number, groups: number, difficultyBits: number): bigint | null;
  /** Copy of the frame with `challenge` written big-endian at KERNEL_CHALLENGE_OFFSET. */
  withChallenge(challenge: bigint): Uint8Array;
}

/** Leading zero bits of SHA-256(bytes), by node:crypto. */
export declare function digestLeadingZeroBits(bytes: Uint8Array): number;

/** The kernel's digest word 0 for challenges (high, low + lane), lane 0..3 (known-answer tests). */
export declare function kernelDigestWord0(frame: Uint8Array, high: number, low: number): number[];
