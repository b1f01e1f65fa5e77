import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CHALLENGE_OFFSET, GossipPeerResponse, GossipVerificationResponse, MessageType, writeFrameHeader } from '../generated/index.js';
import { PowError } from '../runtime/errors.js';
import { PowPool } from '../runtime/pow/pool.js';
import { hasProofOfWork, leadingZeroBits } from '../runtime/pow/verify.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A VERIFICATION RESPONSE frame (PROTOCOL.md §4): one SHA-256 block. */
function verificationResponse(nonce: bigint, challenge = 0n): Uint8Array {
  return GossipVerificationResponse.encode({ nonce, challenge });
}

/** A PEER RESPONSE frame with `entries` IPv4 addresses: several SHA-256 blocks. */
function peerResponse(nonce: bigint, entries: number): Uint8Array {
  const addresses = Array.from({ length: entries }, (_, i) => ({ addr: Uint8Array.of(127, 0, (i >> 8) & 255, i & 255), port: 6001 + i }));
  return GossipPeerResponse.encode({ nonce, challenge: 0n, isIpv6: false, entries: addresses });
}

function withChallenge(frame: Uint8Array, challenge: bigint, offset = CHALLENGE_OFFSET): Uint8Array {
  const copy = Uint8Array.from(frame);
  new DataView(copy.buffer).setBigUint64(offset, challenge);
  return copy;
}

const sha256 = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest();

describe('proof-of-work verification (runtime/pow/verify.ts, PROTOCOL.md §4.1)', () => {
  it('counts leading zero bits across byte boundaries', () => {
    assert.equal(leadingZeroBits(Uint8Array.of(0x80, 0)), 0);
    assert.equal(leadingZeroBits(Uint8Array.of(0x01, 0xff)), 7);
    assert.equal(leadingZeroBits(Uint8Array.of(0x00, 0x00, 0x7f)), 17);
    assert.equal(leadingZeroBits(new Uint8Array(32)), 256);
  });

  it('hashes the whole frame, header included, and needs exactly difficultyBits zero bits', () => {
    // Pick (by node:crypto) a challenge whose frame has ≥ 8 zero bits but whose frame with
    // the VERIFICATION REQUEST type in the header has fewer: a check that skipped the header would accept both.
    const retyped = (frame: Uint8Array): Uint8Array => {
      const copy = Uint8Array.from(frame);
      writeFrameHeader(copy, copy.length, MessageType.GOSSIP_VERIFICATION_REQUEST);
      return copy;
    };
    let challenge = 0n;
    const qualifies = (c: bigint): boolean =>
      leadingZeroBits(sha256(verificationResponse(1n, c))) >= 8 && leadingZeroBits(sha256(retyped(verificationResponse(1n, c)))) < 8;
    while (!qualifies(challenge)) challenge++;
    const frame = verificationResponse(1n, challenge);
    assert.equal(hasProofOfWork(frame, 8), true);
    assert.equal(hasProofOfWork(retyped(frame), 8), false);
    const bits = leadingZeroBits(sha256(frame));
    assert.equal(hasProofOfWork(frame, bits), true);
    assert.equal(hasProofOfWork(frame, bits + 1), false);
  });

  it('accepts anything at difficulty 0 and rejects difficulties that are not 0..256', () => {
    assert.equal(hasProofOfWork(verificationResponse(5n), 0), true);
    for (const bad of [-1, 257, 1.5, Number.NaN]) {
      assert.throws(() => hasProofOfWork(verificationResponse(5n), bad), (e: unknown) => e instanceof PowError && e.code === 'bad-difficulty');
    }
  });
});

describe('PowPool (runtime/pow/pool.ts, PROTOCOL.md §4.1)', function () {
  this.timeout(30_000);
  let pool: PowPool;
  before(() => {
    pool = new PowPool(2);
  });
  after(() => pool.close());

  it('solves VERIFICATION RESPONSE proofs of 0, 1, 5, 12 and 18 bits that verify', async () => {
    for (const bits of [0, 1, 5, 12, 18]) {
      const frame = verificationResponse(0x0123456789abcdefn + BigInt(bits));
      const challenge = await pool.solve(frame, CHALLENGE_OFFSET, bits);
      assert.equal(hasProofOfWork(withChallenge(frame, challenge), bits), true, `${bits} bits`);
    }
  });

  it('solves a multi-block PEER RESPONSE (100 entries, 624 bytes) proof that verifies', async () => {
    const frame = peerResponse(42n, 100);
    const challenge = await pool.solve(frame, CHALLENGE_OFFSET, 14);
    assert.equal(hasProofOfWork(withChallenge(frame, challenge), 14), true);
  });

  it('solves at another challenge offset too (node:crypto fallback)', async () => {
    const frame = verificationResponse(7n);
    const challenge = await pool.solve(frame, 4, 10);
    assert.equal(hasProofOfWork(withChallenge(frame, challenge, 4), 10), true);
  });

  it('leaves the caller\'s frame untouched', async () => {
    const frame = verificationResponse(9n, 0xffffffffffffffffn);
    await pool.solve(frame, CHALLENGE_OFFSET, 8);
    assert.deepEqual(frame, verificationResponse(9n, 0xffffffffffffffffn));
  });

  it('a proof does not verify with a different challenge or nonce', async () => {
    const frame = verificationResponse(0xfeedn);
    const challenge = await pool.solve(frame, CHALLENGE_OFFSET, 20);
    assert.equal(hasProofOfWork(withChallenge(frame, challenge), 20), true);
    // Fixed frame, so these outcomes are fixed: a neighbouring challenge or another nonce fails.
    assert.equal(hasProofOfWork(withChallenge(frame, challenge ^ 1n), 20), false);
    assert.equal(hasProofOfWork(withChallenge(verificationResponse(0xfeeen), challenge), 20), false);
  });

  it('rejects a bad offset or difficulty with a one-line PowError', async () => {
    await assert.rejects(pool.solve(new Uint8Array(CHALLENGE_OFFSET + 7), CHALLENGE_OFFSET, 8), (e: unknown) => e instanceof PowError && e.code === 'bad-offset' && !e.message.includes('\n'));
    await assert.rejects(pool.solve(verificationResponse(1n), CHALLENGE_OFFSET, 300), (e: unknown) => e instanceof PowError && e.code === 'bad-difficulty');
  });

  it('an abort rejects with the signal\'s reason, stops the workers, and the pool solves on', async () => {
    const controller = new AbortController();
    const hopeless = pool.solve(verificationResponse(3n), CHALLENGE_OFFSET, 64, controller.signal);
    setTimeout(() => controller.abort(new Error('no longer needed')), 50);
    const started = performance.now();
    await assert.rejects(hopeless, /no longer needed/);
    assert.ok(performance.now() - started < 1000);
    const frame = verificationResponse(4n);
    const challenge = await pool.solve(frame, CHALLENGE_OFFSET, 12);
    assert.equal(hasProofOfWork(withChallenge(frame, challenge), 12), true);
  });

  it('an already-aborted signal rejects at once; a queued solve can be aborted before it runs', async () => {
    await assert.rejects(pool.solve(verificationResponse(1n), CHALLENGE_OFFSET, 8, AbortSignal.abort()), { name: 'AbortError' });
    const running = new AbortController();
    const queued = new AbortController();
    const first = pool.solve(verificationResponse(5n), CHALLENGE_OFFSET, 64, running.signal);
    const second = pool.solve(verificationResponse(6n), CHALLENGE_OFFSET, 64, queued.signal);
    queued.abort();
    await assert.rejects(second, { name: 'AbortError' });
    running.abort();
    await assert.rejects(first, { name: 'AbortError' });
  });

  it('keeps the event loop responsive while every worker hashes (max timer gap < 250 ms, typically < 10)', async () => {
    const controller = new AbortController();
    const solving = pool.solve(verificationResponse(11n), CHALLENGE_OFFSET, 64, controller.signal).catch(() => 'aborted');
    let last = performance.now();
    let maxGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const hashesBefore = pool.hashes;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    clearInterval(timer);
    controller.abort();
    assert.equal(await solving, 'aborted');
    assert.ok(pool.hashes - hashesBefore > 1_000_000, `the workers were hashing meanwhile (${pool.hashes - hashesBefore})`);
    assert.ok(ticks > 100, `${ticks} ticks in 1 s`);
    // A solver on the event loop would show one gap of the whole second; the slack above
    // typical single-digit gaps is for a machine whose cores are shared with other jobs.
    assert.ok(maxGap < 250, `max gap ${maxGap.toFixed(1)} ms`);
  });

  it('close() rejects pending solves with PowError("closed") and refuses new ones', async () => {
    const own = new PowPool(1);
    const pending = assert.rejects(own.solve(verificationResponse(8n), CHALLENGE_OFFSET, 64), (e: unknown) => e instanceof PowError && e.code === 'closed');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await own.close();
    await pending;
    await assert.rejects(own.solve(verificationResponse(8n), CHALLENGE_OFFSET, 1), (e: unknown) => e instanceof PowError && e.code === 'closed');
  });

  it('rejects a thread count that is not a positive integer', () => {
    assert.throws(() => new PowPool(0), (e: unknown) => e instanceof PowError && e.code === 'bad-threads');
  });
});

describe('PowPool under other launch modes', function () {
  this.timeout(30_000);
  // This file already runs under mocha's `--import tsx`. The daemon also starts as
  // `tsx runtime/cli.ts` and as `node bin/gossip.js` (tsx's register(), which workers do not inherit).
  const script = `
    const { PowPool } = await import('./runtime/pow/pool.ts');
    const { hasProofOfWork } = await import('./runtime/pow/verify.ts');
    const frame = new Uint8Array(20); frame[1] = 20; frame[2] = 0x01; frame[3] = 0xfb;
    const pool = new PowPool(2);
    const challenge = await pool.solve(frame, 12, 16);
    new DataView(frame.buffer).setBigUint64(12, challenge);
    console.log(hasProofOfWork(frame, 16) ? 'verified' : 'wrong');
    await pool.close();`;
  const run = promisify(execFile);

  it('works in a process that loaded TypeScript through tsx register() (like bin/gossip.js)', async () => {
    const launcher = `import { register } from 'tsx/esm/api'; register(); ${script}`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', launcher], { cwd: REPO });
    assert.equal(stdout.trim(), 'verified');
  });

  it('works in a process started by the tsx command', async () => {
    const { stdout } = await run(process.execPath, [fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url)), '--input-type=module', '-e', script], { cwd: REPO });
    assert.equal(stdout.trim(), 'verified');
  });
});
