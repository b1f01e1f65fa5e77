/**
 * Proof-of-work speed (docs/protocol.md §4.1): hashes/s on ONE core for node:crypto createHash per
 * attempt, our WebAssembly kernel, and `openssl speed -evp sha256 -bytes 16` measured in the
 * same run; then attempts/s of the kernel per response, side by side: a VERIFICATION RESPONSE
 * and PEER RESPONSEs of 1, 30, 100 and the most entries (IPv4 and IPv6), each hashed
 * before-style (the whole frame) and by the current rule (runtime/pow/preimage.ts: size, type,
 * nonce, challenge ‖ SHA-256(address list), one block); then the wall time to solve 24-bit
 * proofs with PowPool on every core, for a VERIFICATION RESPONSE and a 100-entry IPv6 PEER
 * RESPONSE.
 *
 *   npm run bench:pow [-- --runs 20 --seconds 3]
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { promisify } from 'node:util';
import {
  CHALLENGE_OFFSET,
  GossipPeerResponse,
  GossipVerificationResponse,
  MAX_FRAME_SIZE,
} from '../generated/index.js';
import { ChallengeSearch } from '../runtime/pow/kernel.js';
import { PowPool } from '../runtime/pow/pool.js';
import { proofPreimage } from '../runtime/pow/preimage.js';
import { hasProofOfWork } from '../runtime/pow/verify.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const SECONDS = option('seconds', 3);
/** Rounds over the response cases (each measurement gets SECONDS / SLICES per round). */
const SLICES = 3;
const RUNS = option('runs', 20);
const progress = (line: string): void => void process.stderr.write(`[bench:pow] ${line}\n`);

const randomNonce = (): bigint => randomBytes(8).readBigUInt64BE();

/** A VERIFICATION RESPONSE (20 bytes, one SHA-256 block) with a random nonce. */
function verificationResponse(): Uint8Array {
  return GossipVerificationResponse.encode({ nonce: randomNonce(), challenge: 0n });
}

/** Entries that fill a PEER RESPONSE up to the largest frame (65535 bytes). */
const mostEntries = (isIpv6: boolean): number => Math.floor((MAX_FRAME_SIZE - 24) / (isIpv6 ? 18 : 6));

/** A PEER RESPONSE with a random nonce and `entries` random addresses of one family. */
function peerResponse(entries: number, isIpv6: boolean): Uint8Array {
  return GossipPeerResponse.encode({
    nonce: randomNonce(),
    challenge: 0n,
    isIpv6,
    entries: Array.from({ length: entries }, () => ({
      addr: randomBytes(isIpv6 ? 16 : 4),
      port: 1 + (randomBytes(2).readUInt16BE() % 65535),
    })),
  });
}

/** SHA-256 blocks to hash `length` bytes (with padding). */
const blocksOf = (length: number): number => Math.floor((length + 8) / 64) + 1;

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

/** Kernel attempts/s on one core over `frame` (the bytes hashed per attempt). */
function kernelRate(frame: Uint8Array, seconds = SECONDS): number {
  const search = new ChallengeSearch(frame);
  search.setHigh(0);
  // Fewer challenges per call for long frames, so that short runs still end on time.
  const groups = Math.max(16, (1 << 14) >> Math.min(10, Math.floor(Math.log2(blocksOf(frame.length)))));
  let low = 0;
  // 64 zero bits: the kernel never stops early, so every challenge is hashed.
  return rate(seconds, () => {
    search.search(low, groups, 64);
    low = (low + groups * 4) % 2 ** 32;
    return groups * 4;
  });
}

/** openssl's EVP SHA-256 over 16-byte inputs, single core: hashes/s, or null without openssl. */
async function opensslRate(): Promise<{ rate: number; version: string } | null> {
  try {
    const run = promisify(execFile);
    const { stdout } = await run('openssl', [
      'speed',
      '-evp',
      'sha256',
      '-bytes',
      '16',
      '-seconds',
      String(Math.round(SECONDS)),
    ]);
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

interface SolveStats {
  label: string;
  makeFrame: () => Uint8Array;
  times: number[];
  hashes: number;
}

/**
 * Solves `runs` proofs of `bits` per kind on one pool, alternating the kinds so that load
 * from other work hits them alike; each kind's solve times (sorted, ms) and attempts.
 */
async function poolSolves(
  kinds: { label: string; makeFrame: () => Uint8Array }[],
  bits: number,
  runs: number,
): Promise<SolveStats[]> {
  const pool = new PowPool();
  const stats: SolveStats[] = kinds.map((kind) => ({ ...kind, times: [], hashes: 0 }));
  try {
    for (let i = 0; i < runs; i++) {
      for (const kind of stats) {
        const frame = kind.makeFrame();
        const hashesBefore = pool.hashes;
        const started = performance.now();
        const challenge = await pool.solve(frame, CHALLENGE_OFFSET, bits);
        kind.times.push(performance.now() - started);
        kind.hashes += pool.hashes - hashesBefore;
        new DataView(frame.buffer).setBigUint64(CHALLENGE_OFFSET, challenge);
        if (!hasProofOfWork(frame, bits)) throw new Error(`pool returned a challenge without ${bits} zero bits`);
        progress(`  ${kind.label}: ${bits}-bit proof ${i + 1}/${runs}: ${kind.times.at(-1)!.toFixed(0)} ms`);
      }
    }
  } finally {
    await pool.close();
  }
  for (const kind of stats) kind.times.sort((x, y) => x - y);
  return stats;
}

const mega = (n: number): string => (n >= 1e5 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`);

interface ResponseCase {
  label: string;
  frame: Uint8Array;
}

function responseCases(): ResponseCase[] {
  const cases: ResponseCase[] = [{ label: 'VERIFICATION RESPONSE', frame: verificationResponse() }];
  for (const isIpv6 of [false, true]) {
    for (const entries of [1, 30, 100, mostEntries(isIpv6)]) {
      cases.push({
        label: `PEER RESPONSE, ${entries} ${isIpv6 ? 'IPv6' : 'IPv4'}`,
        frame: peerResponse(entries, isIpv6),
      });
    }
  }
  return cases;
}

async function main(): Promise<void> {
  progress(`CPU: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} cores, node ${process.version}`);
  progress(`node:crypto createHash per attempt, 20-byte frame, ${SECONDS} s …`);
  const baseline = createHashRate();
  progress(`  ${mega(baseline)}`);
  progress(`WebAssembly kernel, 20-byte VERIFICATION RESPONSE, ${SECONDS} s …`);
  const kernel = kernelRate(verificationResponse());
  progress(`  ${mega(kernel)}`);
  progress(`openssl speed -evp sha256 -bytes 16 -seconds ${Math.round(SECONDS)} …`);
  const openssl = await opensslRate();
  if (openssl) progress(`  ${mega(openssl.rate)} (${openssl.version})`);

  // Before-style and current rule of every case measured in turn, SLICES rounds, best slice
  // kept: load from other work on a shared machine then hits all rows alike and shows least.
  progress('warming the kernel up (WebAssembly tier-up) …');
  kernelRate(verificationResponse(), 1);
  const cases = responseCases().map(({ label, frame }) => ({
    label,
    frame,
    preimage: proofPreimage(frame),
    whole: 0,
    current: 0,
  }));
  const sliceSeconds = SECONDS / SLICES;
  for (let slice = 0; slice < SLICES; slice++) {
    progress(
      `kernel, round ${slice + 1}/${SLICES}: every response, whole frame then current rule, ${sliceSeconds.toFixed(1)} s each …`,
    );
    for (const c of cases) {
      c.whole = Math.max(c.whole, kernelRate(c.frame, sliceSeconds));
      c.current = Math.max(c.current, kernelRate(c.preimage, sliceSeconds));
    }
  }
  const perResponse = cases.map(({ label, frame, whole, current }) => {
    // What the current rule adds per solve: digesting the address list once (mean of 200).
    proofPreimage(frame);
    const started = performance.now();
    for (let i = 0; i < 200; i++) proofPreimage(frame);
    const digestUs = ((performance.now() - started) * 1000) / 200;
    progress(
      `  ${label} (${frame.length} B): ${mega(whole)} → ${mega(current)}, list digest ${digestUs.toFixed(1)} µs`,
    );
    return { label, bytes: frame.length, wholeBlocks: blocksOf(frame.length), whole, current, digestUs };
  });

  progress(`PowPool (${availableParallelism()} workers): ${RUNS} proofs of 24 bits per response type …`);
  const solves = await poolSolves(
    [
      { label: 'VERIFICATION RESPONSE (20 B)', makeFrame: verificationResponse },
      { label: 'PEER RESPONSE, 100 IPv6 (1824 B)', makeFrame: () => peerResponse(100, true) },
    ],
    24,
    RUNS,
  );

  const vsOpenssl = (n: number): string => (openssl ? `${(n / openssl.rate).toFixed(2)}x` : 'n/a');
  const rows = [
    ['node:crypto createHash per attempt (20 B)', mega(baseline), vsOpenssl(baseline)],
    ['WebAssembly SIMD kernel (20 B, 1 block)', mega(kernel), vsOpenssl(kernel)],
    [
      `openssl speed -evp sha256, 16 B${openssl ? ` (${openssl.version.split(' ').slice(0, 2).join(' ')})` : ''}`,
      openssl ? mega(openssl.rate) : 'n/a',
      openssl ? '1.00x' : 'n/a',
    ],
  ];
  console.log(`\nSHA-256 hashes/s on one core (${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version})\n`);
  console.log('| hasher | hashes/s per core | vs openssl |');
  console.log('|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log(`\nkernel / createHash: ${(kernel / baseline).toFixed(1)}x`);

  // The VERIFICATION RESPONSE's two columns hash the same bytes: the better is the reference.
  const reference = Math.max(perResponse[0]!.whole, perResponse[0]!.current);
  console.log(
    `\nProof attempts/s on one core (WebAssembly kernel, best of ${SLICES} rounds): before-style (SHA-256 of the whole frame) vs current rule`,
  );
  console.log(
    '(PEER RESPONSE: SHA-256 of frame[0..20) ‖ SHA-256(frame[20..end)), 52 bytes; the list digest is made once per solve)\n',
  );
  console.log(
    '| response | bytes | whole frame: blocks | whole frame: attempts/s | current rule: attempts/s | current / VERIFICATION | list digest per solve |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of perResponse) {
    console.log(
      `| ${r.label} | ${r.bytes} | ${r.wholeBlocks} | ${mega(r.whole)} | ${mega(r.current)} | ${(r.current / reference).toFixed(2)}x | ${r.label.startsWith('PEER') ? `${r.digestUs.toFixed(1)} µs` : '-'} |`,
    );
  }

  console.log(
    `\n24-bit proofs with PowPool, ${availableParallelism()} workers, ${RUNS} runs each, kinds alternating (random nonces):\n`,
  );
  console.log('| response | attempts/s, all workers | median | p90 | min | max |');
  console.log('|---|---|---|---|---|---|');
  for (const { label, times, hashes } of solves) {
    const seconds = times.reduce((sum, t) => sum + t, 0) / 1000;
    const ms = (t: number): string => `${t.toFixed(0)} ms`;
    console.log(
      `| ${label} | ${mega(hashes / seconds)} | ${ms(percentile(times, 50))} | ${ms(percentile(times, 90))} | ${ms(times[0]!)} | ${ms(times.at(-1)!)} |`,
    );
  }
}

await main();
