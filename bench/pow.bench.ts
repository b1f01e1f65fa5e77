/**
 * Proof-of-work speed (PROTOCOL.md §4.1): hashes/s on ONE core for node:crypto createHash per
 * attempt, our WebAssembly kernel, and `openssl speed -evp sha256 -bytes 16` measured in the
 * same run; then the wall time to solve 24-bit proofs with PowPool on every core.
 *
 *   npm run bench:pow [-- --runs 20 --seconds 3]
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { promisify } from 'node:util';
import { CHALLENGE_OFFSET, GossipPeerResponse, GossipVerificationResponse } from '../generated/index.js';
import { ChallengeSearch } from '../runtime/pow/kernel.mjs';
import { PowPool } from '../runtime/pow/pool.js';
import { hasProofOfWork } from '../runtime/pow/verify.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const SECONDS = option('seconds', 3);
const RUNS = option('runs', 20);
const progress = (line: string): void => void process.stderr.write(`[bench:pow] ${line}\n`);

const randomU64 = (): bigint => randomBytes(8).readBigUInt64BE(0);

/** A VERIFICATION RESPONSE (20 bytes, one SHA-256 block) with a random nonce. */
function verificationResponse(): Uint8Array {
  return GossipVerificationResponse.encode({ nonce: randomU64(), challenge: 0n });
}

/** A PEER RESPONSE with 100 random IPv4 entries (624 bytes, 10 blocks). */
function peerResponse(): Uint8Array {
  const entries = Array.from({ length: 100 }, () => ({ addr: randomBytes(4), port: randomInt(65536) }));
  return GossipPeerResponse.encode({ nonce: randomU64(), challenge: 0n, isIpv6: false, entries });
}

/** Runs `step` (which returns how many hashes it did) for about `seconds`; hashes/s. */
function rate(seconds: number, step: () => number): number {
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  let hashes = 0;
  while (performance.now() < until) hashes += step();
  return hashes / ((performance.now() - started) / 1000);
}

function createHashRate(): number {
  const frame = verificationResponse();
  const view = new DataView(frame.buffer);
  let low = 0;
  return rate(SECONDS, () => {
    for (let i = 0; i < 1000; i++) {
      view.setUint32(CHALLENGE_OFFSET + 4, low++); // the challenge's low half
      createHash('sha256').update(frame).digest();
    }
    return 1000;
  });
}

function kernelRate(frame: Uint8Array): number {
  const search = new ChallengeSearch(frame);
  search.setHigh(0);
  const groups = 1 << 14;
  let low = 0;
  // 64 zero bits: the kernel never stops early, so every challenge is hashed.
  return rate(SECONDS, () => {
    search.search(low, groups, 64);
    low = (low + groups * 4) % 2 ** 32;
    return groups * 4;
  });
}

/** openssl's EVP SHA-256 over 16-byte inputs, single core: hashes/s, or null without openssl. */
async function opensslRate(): Promise<{ rate: number; version: string } | null> {
  try {
    const run = promisify(execFile);
    const { stdout } = await run('openssl', ['speed', '-evp', 'sha256', '-bytes', '16', '-seconds', String(Math.round(SECONDS))]);
    const version = (await run('openssl', ['version'])).stdout.trim();
    // Result line: "sha256   110610.70k" (thousands of bytes per second for 16-byte inputs).
    const match = /^sha256\s+([\d.]+)k\s*$/m.exec(stdout);
    if (!match) throw new Error(`unrecognised openssl speed output: ${stdout.slice(-200)}`);
    return { rate: (Number(match[1]) * 1000) / 16, version };
  } catch (error) {
    progress(`openssl speed unavailable: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return null;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function poolSolveTimes(bits: number, runs: number): Promise<number[]> {
  const pool = new PowPool();
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const frame = verificationResponse();
      const started = performance.now();
      const challenge = await pool.solve(frame, CHALLENGE_OFFSET, bits);
      times.push(performance.now() - started);
      new DataView(frame.buffer).setBigUint64(CHALLENGE_OFFSET, challenge);
      if (!hasProofOfWork(frame, bits)) throw new Error(`pool returned a challenge without ${bits} zero bits`);
      progress(`  24-bit proof ${i + 1}/${runs}: ${times.at(-1)!.toFixed(0)} ms`);
    }
  } finally {
    await pool.close();
  }
  return times.sort((a, b) => a - b);
}

const mega = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`;

async function main(): Promise<void> {
  progress(`CPU: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores, node ${process.version}`);
  progress(`node:crypto createHash per attempt, 20-byte frame, ${SECONDS} s …`);
  const baseline = createHashRate();
  progress(`  ${mega(baseline)}`);
  progress(`WebAssembly kernel, 20-byte VERIFICATION RESPONSE, ${SECONDS} s …`);
  const kernel = kernelRate(verificationResponse());
  progress(`  ${mega(kernel)}`);
  progress(`WebAssembly kernel, 624-byte PEER RESPONSE (10 blocks), ${SECONDS} s …`);
  const kernelLong = kernelRate(peerResponse());
  progress(`  ${mega(kernelLong)}`);
  progress(`openssl speed -evp sha256 -bytes 16 -seconds ${Math.round(SECONDS)} …`);
  const openssl = await opensslRate();
  if (openssl) progress(`  ${mega(openssl.rate)} (${openssl.version})`);
  progress(`PowPool (${availableParallelism()} workers): ${RUNS} proofs of 24 bits …`);
  const times = await poolSolveTimes(24, RUNS);

  const vsOpenssl = (n: number): string => (openssl ? `${(n / openssl.rate).toFixed(2)}x` : 'n/a');
  const rows = [
    ['node:crypto createHash per attempt (20 B)', mega(baseline), vsOpenssl(baseline)],
    ['WebAssembly SIMD kernel (20 B, 1 block)', mega(kernel), vsOpenssl(kernel)],
    ['WebAssembly SIMD kernel (624 B, 10 blocks)', mega(kernelLong), vsOpenssl(kernelLong)],
    [`openssl speed -evp sha256, 16 B${openssl ? ` (${openssl.version.split(' ').slice(0, 2).join(' ')})` : ''}`, openssl ? mega(openssl.rate) : 'n/a', openssl ? '1.00x' : 'n/a'],
  ];
  console.log(`\nSHA-256 hashes/s on one core (${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version})\n`);
  console.log('| hasher | hashes/s per core | vs openssl |');
  console.log('|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\nkernel / createHash: ${(kernel / baseline).toFixed(1)}x`);
  console.log(`\n24-bit proof with PowPool, ${availableParallelism()} workers, ${RUNS} runs (random nonces):`);
  console.log(
    `median ${percentile(times, 50).toFixed(0)} ms, p90 ${percentile(times, 90).toFixed(0)} ms, ` +
      `min ${times[0]!.toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms`,
  );
}

await main();
