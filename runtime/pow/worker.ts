// One proof-of-work worker thread of PowPool (pool.ts), docs/protocol.md §4.1. The pool
// starts the compiled worker.js beside it (dist/), or this file through tsx in development
// (pool.ts, workerSource).
//
// Job message:  { frame, challengeOffset, difficultyBits, highStart, highStep, stop, progress }
//   `frame` is what is hashed per attempt: the pool passes the proof preimage (preimage.ts),
//   which for a PEER RESPONSE is 52 bytes (one SHA-256 block) whatever the address list.
//   Tries challenges whose high 32 bits are highStart, highStart + highStep, … (the pool
//   gives each worker its own residue class) and every low 32 bits, until one has
//   `difficultyBits` leading zero bits or stop[0] becomes non-zero (Int32Array over a
//   SharedArrayBuffer, checked between batches, since this loop never yields).
//   Adds the challenges it tried to progress[0] (BigInt64Array over a SharedArrayBuffer).
// Reply:        { challenge: bigint | null } or { error: string }.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { ChallengeSearch, KERNEL_CHALLENGE_OFFSET } from './kernel.js';

/** A job from the pool (pool.ts). */
export interface WorkerJob {
  frame: Uint8Array;
  challengeOffset: number;
  difficultyBits: number;
  highStart: number;
  highStep: number;
  stop: Int32Array;
  progress: BigInt64Array;
}

/** What a worker answers to a job. */
export type WorkerReply = { challenge: bigint | null } | { error: string };

/** What both searches offer: ChallengeSearch (the kernel) and GenericSearch. */
interface Search {
  setHigh(high: number): void;
  search(low: number, groups: number, difficultyBits: number): bigint | null;
}

/** Challenges per batch: about 4 ms of the kernel, which bounds how long a stop takes. */
const BATCH = 1 << 16;
const LOW_SPACE = 2 ** 32;

/** Same interface as ChallengeSearch for any challenge offset: one node:crypto hash per try. */
class GenericSearch implements Search {
  readonly frame: Uint8Array;
  readonly view: DataView;
  readonly offset: number;
  high: number;

  constructor(frame: Uint8Array, challengeOffset: number) {
    this.frame = Uint8Array.from(frame);
    this.view = new DataView(this.frame.buffer);
    this.offset = challengeOffset;
    this.high = 0;
  }

  setHigh(high: number): void {
    this.high = high >>> 0;
    this.view.setUint32(this.offset, this.high);
  }

  search(low: number, groups: number, difficultyBits: number): bigint | null {
    for (let i = 0; i < groups * 4; i++) {
      this.view.setUint32(this.offset + 4, (low + i) >>> 0);
      const digest = createHash('sha256').update(this.frame).digest();
      if (leadingZeroBitsOf(digest) >= difficultyBits) return this.view.getBigUint64(this.offset);
    }
    return null;
  }
}

function leadingZeroBitsOf(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte !== 0) return bits + Math.clz32(byte) - 24;
    bits += 8;
  }
  return bits;
}

function solve({
  frame,
  challengeOffset,
  difficultyBits,
  highStart,
  highStep,
  stop,
  progress,
}: WorkerJob): WorkerReply {
  const searcher: Search =
    challengeOffset === KERNEL_CHALLENGE_OFFSET
      ? new ChallengeSearch(frame)
      : new GenericSearch(frame, challengeOffset);
  for (let high = highStart; high < LOW_SPACE; high += highStep) {
    searcher.setHigh(high);
    for (let low = 0; low < LOW_SPACE; low += BATCH) {
      if (Atomics.load(stop, 0) !== 0) return { challenge: null };
      const challenge = searcher.search(low, BATCH / 4, difficultyBits);
      const tried = challenge === null ? BATCH : Number(challenge & 0xffffffffn) - low + 1;
      Atomics.add(progress, 0, BigInt(tried));
      if (challenge !== null) return { challenge };
    }
  }
  return { challenge: null };
}

const port = parentPort;
if (port === null) throw new Error('worker.ts runs as a worker thread of PowPool (pool.ts)');
port.on('message', (job: WorkerJob) => {
  let reply: WorkerReply;
  try {
    reply = solve(job);
  } catch (error) {
    reply = { error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
