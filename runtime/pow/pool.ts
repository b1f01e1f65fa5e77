/**
 * Solves proofs of work (docs/protocol.md §4.1; what is hashed: preimage.ts) on worker threads, one per core by default, so the
 * event loop never waits on hashing. Each solve uses every worker: worker i tries challenges
 * whose high 32 bits are ≡ i (mod threads), the first hit wins and the others are told to
 * stop through a shared flag. Solves queue and run one at a time (each gets the whole
 * machine; a 24-bit proof takes about a second).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PowError } from '../errors.js';
import { hasDigestedTail, PEER_RESPONSE_HEAD_SIZE, proofPreimage } from './preimage.js';
import { assertDifficulty } from './verify.js';
import type { WorkerJob, WorkerReply } from './worker.js';

interface Job {
  /** What the workers hash with each candidate challenge: the proof preimage (preimage.ts). */
  frame: Uint8Array;
  challengeOffset: number;
  difficultyBits: number;
  signal: AbortSignal | undefined;
  resolve: (challenge: bigint) => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
  /** Set to 1 to stop every worker on this job (checked between batches). */
  stop: Int32Array;
  pendingWorkers: number;
  isSettled: boolean;
}

/**
 * How a worker thread starts. Compiled (dist/, `gossip`): the worker.js beside this file, plain
 * node. In development this file runs as pool.ts under tsx, whose loader a worker does not
 * inherit: the worker registers tsx first (tsx is a dev dependency, present whenever .ts runs).
 */
function workerSource(): { source: string | URL; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { source: new URL('./worker.js', here), eval: false };
  const worker = new URL('./worker.ts', here).href;
  return {
    source: `import(${JSON.stringify(tsxApiUrl(here))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(worker)}); });`,
    eval: true,
  };
}

/**
 * URL of tsx's ESM `register()` API (`tsx/esm/api`, import condition). Not import.meta.resolve:
 * tsx may run this file as CommonJS (under mocha), where the require condition would win, and
 * tsx's CommonJS build of that API cannot register from a worker.
 */
function tsxApiUrl(from: string): string {
  const manifestPath = createRequire(from).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports: Record<string, { import: { default: string } }>;
  };
  const target = manifest.exports['./esm/api']?.import.default;
  if (target === undefined)
    throw new PowError('worker-failed', 'tsx has no ./esm/api export: cannot start a TypeScript worker');
  return new URL(target, pathToFileURL(manifestPath)).href;
}

export class PowPool {
  readonly threads: number;
  #workers: Worker[] = [];
  #queue: Job[] = [];
  #running: Job | null = null;
  #isClosed = false;
  /** Challenges tried by all workers, added per batch by the workers themselves. */
  #progress = new BigInt64Array(new SharedArrayBuffer(8));

  constructor(threads = availableParallelism()) {
    if (!Number.isInteger(threads) || threads < 1) {
      throw new PowError('bad-threads', `proof-of-work pool needs a positive integer thread count, got ${threads}`);
    }
    this.threads = threads;
  }

  /**
   * A challenge such that, written big-endian at challengeOffset, the frame has a proof of
   * `difficultyBits` (hasProofOfWork): SHA-256 of its proof preimage (preimage.ts) starts with
   * that many zero bits. For a PEER RESPONSE the address list is digested once here, and the
   * workers search the 52-byte preimage, one SHA-256 block per attempt like a VERIFICATION
   * RESPONSE. The frame is not modified. Rejects with the signal's reason when aborted and
   * with PowError('closed') when the pool closes first.
   */
  solve(frame: Uint8Array, challengeOffset: number, difficultyBits: number, signal?: AbortSignal): Promise<bigint> {
    return new Promise<bigint>((resolve, reject) => {
      if (this.#isClosed) throw new PowError('closed', 'proof-of-work pool is closed');
      assertDifficulty(difficultyBits);
      if (!Number.isInteger(challengeOffset) || challengeOffset < 0 || challengeOffset + 8 > frame.length) {
        throw new PowError(
          'bad-offset',
          `challenge offset ${challengeOffset} leaves no 8 bytes in a ${frame.length}-byte frame`,
        );
      }
      if (hasDigestedTail(frame) && challengeOffset + 8 > PEER_RESPONSE_HEAD_SIZE) {
        throw new PowError(
          'bad-offset',
          `challenge offset ${challengeOffset} is not within the ${PEER_RESPONSE_HEAD_SIZE}-byte head of a PEER RESPONSE`,
        );
      }
      signal?.throwIfAborted();
      const preimage = proofPreimage(frame);
      const job: Job = {
        frame: preimage === frame ? Uint8Array.from(frame) : preimage,
        challengeOffset,
        difficultyBits,
        signal,
        resolve,
        reject,
        onAbort: () => this.#abort(job),
        stop: new Int32Array(new SharedArrayBuffer(4)),
        pendingWorkers: 0,
        isSettled: false,
      };
      signal?.addEventListener('abort', job.onAbort, { once: true });
      this.#queue.push(job);
      this.#runNext();
    });
  }

  /** Challenges tried so far by all workers (live, for benchmarks and metrics). */
  get hashes(): number {
    return Number(Atomics.load(this.#progress, 0));
  }

  /** Stops every worker; pending solves reject with PowError('closed'). */
  async close(): Promise<void> {
    this.#isClosed = true;
    const closed = new PowError('closed', 'proof-of-work pool closed before the proof was found');
    for (const job of this.#queue.splice(0)) this.#settle(job, closed);
    if (this.#running) this.#settle(this.#running, closed);
    const workers = this.#workers.splice(0);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  #runNext(): void {
    if (this.#running || this.#isClosed) return;
    const job = this.#queue.shift();
    if (!job) {
      for (const worker of this.#workers) worker.unref(); // idle workers must not hold the process open
      return;
    }
    this.#running = job;
    this.#ensureWorkers();
    job.pendingWorkers = this.#workers.length;
    this.#workers.forEach((worker, index) => {
      worker.ref();
      const message: WorkerJob = {
        frame: job.frame,
        challengeOffset: job.challengeOffset,
        difficultyBits: job.difficultyBits,
        highStart: index,
        highStep: this.#workers.length,
        stop: job.stop,
        progress: this.#progress,
      };
      worker.postMessage(message);
    });
  }

  #ensureWorkers(): void {
    while (this.#workers.length < this.threads) {
      // Empty execArgv: the parent's flags (mocha's --import tsx) mean nothing to a worker.
      const { source, eval: isEval } = workerSource();
      const worker = new Worker(source, { execArgv: [], eval: isEval });
      worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
      worker.on('error', (error) => this.#onWorkerFailure(error));
      // An exit we did not ask for (close() removes workers from the list first).
      worker.on('exit', (code) => {
        if (this.#workers.includes(worker)) this.#onWorkerFailure(new Error(`exited with code ${code}`));
      });
      this.#workers.push(worker);
    }
  }

  #onReply(reply: WorkerReply): void {
    const job = this.#running;
    if (!job) return;
    if ('error' in reply) {
      this.#settle(job, new PowError('worker-failed', `proof-of-work worker failed: ${reply.error}`));
    } else if (reply.challenge !== null) {
      this.#settle(job, reply.challenge);
    }
    job.pendingWorkers -= 1;
    if (job.pendingWorkers > 0) return;
    // Every worker is idle again; only now may the next job use them.
    this.#settle(job, new PowError('exhausted', 'no challenge in the 64-bit space meets the difficulty'));
    this.#running = null;
    this.#runNext();
  }

  /** A crashed worker cannot report: fail the job and start a fresh set of workers next time. */
  #onWorkerFailure(error: Error): void {
    const workers = this.#workers.splice(0);
    for (const worker of workers) void worker.terminate();
    if (this.#running)
      this.#settle(this.#running, new PowError('worker-failed', `proof-of-work worker crashed: ${error.message}`));
    this.#running = null;
    this.#runNext();
  }

  #abort(job: Job): void {
    const queued = this.#queue.indexOf(job);
    if (queued >= 0) this.#queue.splice(queued, 1);
    this.#settle(job, job.signal?.reason);
  }

  /** Resolves or rejects once; either way tells the workers to stop on this job. */
  #settle(job: Job, outcome: unknown): void {
    Atomics.store(job.stop, 0, 1);
    if (job.isSettled) return;
    job.isSettled = true;
    job.signal?.removeEventListener('abort', job.onAbort);
    if (typeof outcome === 'bigint') job.resolve(outcome);
    else job.reject(outcome);
  }
}
