import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CHALLENGE_OFFSET,
  GossipPeerResponse,
  GossipVerificationResponse,
  MessageType,
  writeFrameHeader,
} from '../generated/index.js';
import { PowError } from '../runtime/errors.js';
import { PowPool } from '../runtime/pow/pool.js';
import { PEER_RESPONSE_PREIMAGE_SIZE, proofPreimage } from '../runtime/pow/preimage.js';
import { hasProofOfWork, leadingZeroBits } from '../runtime/pow/verify.js';
import { ensureBuilt } from './support/build-dist.js';
import { mainAndBusiest, threadTicks } from './support/thread-cpu.js';
import { waitFor } from './support/wait-for.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A VERIFICATION RESPONSE frame (docs/protocol.md §4): size=20 | type ; nonce:u64 ; challenge:u64. */
function verificationResponse(nonce: bigint, challenge = 0n): Uint8Array {
  return GossipVerificationResponse.encode({ nonce, challenge });
}

/** A PEER RESPONSE frame with `entries` addresses (IPv4: 6 bytes each, IPv6: 18). */
function peerResponse(nonce: bigint, entries: number, isIpv6 = false): Uint8Array {
  const addr = (i: number): Uint8Array =>
    isIpv6
      ? Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, ...new Uint8Array(10), (i >> 8) & 255, i & 255])
      : Uint8Array.from([127, 0, (i >> 8) & 255, i & 255]);
  return GossipPeerResponse.encode({
    nonce,
    challenge: 0n,
    isIpv6,
    entries: Array.from({ length: entries }, (_, i) => ({ addr: addr(i), port: 6001 + i })),
  });
}

function withChallenge(frame: Uint8Array, challenge: bigint, offset = CHALLENGE_OFFSET): Uint8Array {
  const copy = Uint8Array.from(frame);
  new DataView(copy.buffer).setBigUint64(offset, challenge);
  return copy;
}

const sha256 = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * A known PEER RESPONSE, worked out with Python's hashlib and sha256sum (not this code):
 * nonce 0123456789abcdef, challenge 0x43e, IPv4 entries 192.0.2.1:6001 and 198.51.100.7:7001.
 */
const VECTOR = {
  frame: '002401f9' + '0123456789abcdef' + '000000000000043e' + '00000000' + 'c0000201' + '1771' + 'c6336407' + '1b59',
  /** SHA-256 of frame[20..36): the x/reserved word and both entries. */
  tailDigest: '66dba96276e40c285916db9c4b9a92a19e14c486eed2c670d729a5f25bfc726e',
  /** SHA-256 of frame[0..20) ‖ tailDigest: 13 leading zero bits. */
  proofHash: '0006dc74b64f9948e2e74e922de4818bcfa5a5cedf13a59bd6025169954b73ac',
  /** SHA-256 of the whole frame (the old rule): only 5 leading zero bits. */
  wholeFrameHash: '05d2e27ff394948d1871f59599632c2fd19a9afc438eb3de12fc9887a2b41d61',
};

describe('proof preimage (runtime/pow/preimage.ts, design "Constant proof cost")', () => {
  const frame = Uint8Array.from(Buffer.from(VECTOR.frame, 'hex'));

  it('the known vector is the PEER RESPONSE the codec encodes', () => {
    const encoded = GossipPeerResponse.encode({
      nonce: 0x0123456789abcdefn,
      challenge: 0x43en,
      isIpv6: false,
      entries: [
        { addr: Uint8Array.of(192, 0, 2, 1), port: 6001 },
        { addr: Uint8Array.of(198, 51, 100, 7), port: 7001 },
      ],
    });
    assert.equal(hex(encoded), VECTOR.frame);
  });

  it('a PEER RESPONSE proof hashes frame[0..20) ‖ SHA-256(frame[20..end)), 52 bytes', () => {
    assert.equal(hex(sha256(frame.subarray(20))), VECTOR.tailDigest);
    const preimage = proofPreimage(frame);
    assert.equal(hex(preimage), VECTOR.frame.slice(0, 40) + VECTOR.tailDigest);
    assert.equal(preimage.length, PEER_RESPONSE_PREIMAGE_SIZE);
    // node:crypto directly on the hand-built 52 bytes, not through proofPreimage:
    const byHand = Buffer.concat([frame.subarray(0, 20), Buffer.from(VECTOR.tailDigest, 'hex')]);
    assert.equal(hex(sha256(byHand)), VECTOR.proofHash);
    assert.equal(leadingZeroBits(sha256(byHand)), 13);
    assert.equal(hasProofOfWork(frame, 12), true);
    assert.equal(hasProofOfWork(frame, 13), true);
    assert.equal(hasProofOfWork(frame, 14), false);
  });

  it('a proof over the whole PEER RESPONSE frame (the old rule) is not a proof', () => {
    assert.equal(hex(sha256(frame)), VECTOR.wholeFrameHash);
    assert.equal(leadingZeroBits(sha256(frame)), 5);
    // Challenge 0x43e has 13 bits by the new rule and 5 by the old; find one with ≥ 12 by the old rule only.
    let challenge = 0n;
    const oldRuleOnly = (c: bigint): boolean =>
      leadingZeroBits(sha256(withChallenge(frame, c))) >= 12 && !hasProofOfWork(withChallenge(frame, c), 12);
    while (!oldRuleOnly(challenge)) challenge++;
    assert.equal(hasProofOfWork(withChallenge(frame, challenge), 12), false);
  });

  it('changing any bit of the x word or an entry, or of the head, invalidates the proof', () => {
    for (let byte = 0; byte < frame.length; byte++) {
      if (byte >= CHALLENGE_OFFSET && byte < CHALLENGE_OFFSET + 8) continue; // the challenge itself
      for (let bit = 0; bit < 8; bit++) {
        const tampered = Uint8Array.from(frame);
        tampered[byte]! ^= 1 << bit;
        assert.equal(hasProofOfWork(tampered, 13), false, `byte ${byte} bit ${bit}`);
      }
    }
  });

  it('the preimage is 52 bytes whatever the list: 0, 1, 30 and 100 IPv4 entries, 1, 30 and 100 IPv6', () => {
    for (const isIpv6 of [false, true]) {
      for (const entries of [0, 1, 30, 100]) {
        const response = peerResponse(1n, entries, isIpv6);
        const preimage = proofPreimage(response);
        assert.equal(preimage.length, PEER_RESPONSE_PREIMAGE_SIZE, `${entries} ${isIpv6 ? 'IPv6' : 'IPv4'}`);
        assert.deepEqual(preimage.subarray(0, 20), response.subarray(0, 20));
        assert.equal(hex(preimage.subarray(20)), hex(sha256(response.subarray(20))));
      }
    }
  });

  it('a VERIFICATION RESPONSE (and any other type) is hashed whole', () => {
    const response = verificationResponse(3n, 4n);
    assert.equal(proofPreimage(response), response);
    assert.equal(hasProofOfWork(response, 0), true);
    assert.equal(hasProofOfWork(response, leadingZeroBits(sha256(response))), true);
    assert.equal(hasProofOfWork(response, leadingZeroBits(sha256(response)) + 1), false);
  });
});

describe('proof-of-work verification (runtime/pow/verify.ts, docs/protocol.md §4.1)', () => {
  it('counts leading zero bits across byte boundaries', () => {
    assert.equal(leadingZeroBits(Uint8Array.of(0x80, 0)), 0);
    assert.equal(leadingZeroBits(Uint8Array.of(0x01, 0xff)), 7);
    assert.equal(leadingZeroBits(Uint8Array.of(0x00, 0x00, 0x7f)), 17);
    assert.equal(leadingZeroBits(new Uint8Array(32)), 256);
  });

  it('hashes the whole VERIFICATION RESPONSE, header included, and needs exactly difficultyBits zero bits', () => {
    // Pick (by node:crypto) a challenge whose frame has ≥ 8 zero bits but whose frame with
    // the VERIFICATION REQUEST type in the header has fewer: a check that skipped the header would accept both.
    const retyped = (frame: Uint8Array): Uint8Array => {
      const copy = Uint8Array.from(frame);
      writeFrameHeader(copy, copy.length, MessageType.GOSSIP_VERIFICATION_REQUEST);
      return copy;
    };
    let challenge = 0n;
    const qualifies = (c: bigint): boolean =>
      leadingZeroBits(sha256(verificationResponse(1n, c))) >= 8 &&
      leadingZeroBits(sha256(retyped(verificationResponse(1n, c)))) < 8;
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
      assert.throws(
        () => hasProofOfWork(verificationResponse(5n), bad),
        (e: unknown) => e instanceof PowError && e.code === 'bad-difficulty',
      );
    }
  });
});

describe('PowPool (runtime/pow/pool.ts, docs/protocol.md §4.1)', function () {
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

  it('solves PEER RESPONSE proofs (new rule) of 0, 1, 30 and 100 IPv4 and IPv6 entries that verify', async () => {
    for (const isIpv6 of [false, true]) {
      for (const entries of [0, 1, 30, 100]) {
        const frame = peerResponse(42n + BigInt(entries), entries, isIpv6);
        const challenge = await pool.solve(frame, CHALLENGE_OFFSET, 14);
        const proven = withChallenge(frame, challenge);
        assert.equal(hasProofOfWork(proven, 14), true, `${entries} ${isIpv6 ? 'IPv6' : 'IPv4'} entries`);
        assert.ok(leadingZeroBits(sha256(proofPreimage(proven))) >= 14);
      }
    }
  });

  it('a solved PEER RESPONSE with one entry byte changed no longer verifies', async () => {
    const frame = peerResponse(77n, 100);
    const proven = withChallenge(frame, await pool.solve(frame, CHALLENGE_OFFSET, 20));
    assert.equal(hasProofOfWork(proven, 20), true);
    const tampered = Uint8Array.from(proven);
    tampered[tampered.length - 3]! ^= 1; // last entry's address, far outside the hashed head
    assert.equal(hasProofOfWork(tampered, 20), false);
  });

  it('refuses a PEER RESPONSE challenge offset outside its 20-byte head', async () => {
    await assert.rejects(
      pool.solve(peerResponse(1n, 10), 20, 8),
      (e: unknown) => e instanceof PowError && e.code === 'bad-offset',
    );
  });

  it('solves at another challenge offset too (node:crypto fallback)', async () => {
    const frame = verificationResponse(7n);
    const challenge = await pool.solve(frame, 4, 10);
    assert.equal(hasProofOfWork(withChallenge(frame, challenge, 4), 10), true);
  });

  it("leaves the caller's frame untouched", async () => {
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
    await assert.rejects(
      pool.solve(new Uint8Array(CHALLENGE_OFFSET + 7), CHALLENGE_OFFSET, 8),
      (e: unknown) => e instanceof PowError && e.code === 'bad-offset' && !e.message.includes('\n'),
    );
    await assert.rejects(
      pool.solve(verificationResponse(1n), CHALLENGE_OFFSET, 300),
      (e: unknown) => e instanceof PowError && e.code === 'bad-difficulty',
    );
  });

  it("an abort rejects with the signal's reason, stops the workers, and the pool solves on", async () => {
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
    await assert.rejects(pool.solve(verificationResponse(1n), CHALLENGE_OFFSET, 8, AbortSignal.abort()), {
      name: 'AbortError',
    });
    const running = new AbortController();
    const queued = new AbortController();
    const first = pool.solve(verificationResponse(5n), CHALLENGE_OFFSET, 64, running.signal);
    const second = pool.solve(verificationResponse(6n), CHALLENGE_OFFSET, 64, queued.signal);
    queued.abort();
    await assert.rejects(second, { name: 'AbortError' });
    running.abort();
    await assert.rejects(first, { name: 'AbortError' });
  });

  it("keeps the event loop idle while every worker hashes (its thread's CPU time near 0 against a worker's)", async () => {
    const controller = new AbortController();
    const solving = pool
      .solve(verificationResponse(11n), CHALLENGE_OFFSET, 64, controller.signal)
      .catch(() => 'aborted');
    await waitFor(() => pool.hashes > 0, 'the workers to start hashing');
    const hashesBefore = pool.hashes;
    // The main thread's CPU time against the busiest worker's over a quiet stretch, until the
    // workers did a million hashes and that worker used half a second: a solver on the event
    // loop, even one that yields between slices, gets about a worker's share. Unlike the timer
    // gaps this used to measure, the share does not grow when other jobs take the machine's
    // cores: they slow every thread of this process alike.
    const [ticks, from] = [threadTicks(), performance.eventLoopUtilization()];
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a quiet second: the loop must NOT work
    await waitFor(() => pool.hashes - hashesBefore > 1_000_000, 'the workers to do a million hashes', 60_000);
    for (const deadline = Date.now() + 60_000; ticks !== null && mainAndBusiest(ticks)!.busiest < 50;) {
      assert.ok(Date.now() < deadline, 'no worker used half a second of CPU in 60 s');
      await new Promise((resolve) => setTimeout(resolve, 250)); // each look reads /proc: not too often
    }
    const busy = performance.eventLoopUtilization(from).utilization;
    const threads = mainAndBusiest(ticks);
    controller.abort();
    assert.equal(await solving, 'aborted');
    const seen = `event loop busy ${(100 * busy).toFixed(1)} % of the time`;
    if (threads === null) assert.ok(busy < 0.5, `without /proc, by event-loop utilisation: ${seen}`);
    else
      assert.ok(
        threads.main < threads.busiest / 4,
        `main thread ${threads.main} CPU ticks against ${threads.busiest} of the busiest worker (${seen})`,
      );
  });

  it('close() rejects pending solves with PowError("closed") and refuses new ones', async () => {
    const own = new PowPool(1);
    const pending = assert.rejects(
      own.solve(verificationResponse(8n), CHALLENGE_OFFSET, 64),
      (e: unknown) => e instanceof PowError && e.code === 'closed',
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await own.close();
    await pending;
    await assert.rejects(
      own.solve(verificationResponse(8n), CHALLENGE_OFFSET, 1),
      (e: unknown) => e instanceof PowError && e.code === 'closed',
    );
  });

  it('rejects a thread count that is not a positive integer', () => {
    assert.throws(
      () => new PowPool(0),
      (e: unknown) => e instanceof PowError && e.code === 'bad-threads',
    );
  });
});

describe('PowPool under other launch modes', function () {
  this.timeout(30_000);
  // This file already runs under mocha's `--import tsx`. The daemon also starts as
  // `tsx runtime/cli/cli.ts`, through tsx's register() (which workers do not inherit), and
  // compiled as `node bin/gossip.js` (dist/, no tsx at all: the worker is dist's worker.js).
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

  it('works in a process that loaded TypeScript through tsx register()', async () => {
    const launcher = `import { register } from 'tsx/esm/api'; register(); ${script}`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', launcher], { cwd: REPO });
    assert.equal(stdout.trim(), 'verified');
  });

  it('works in a process started by the tsx command', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url)),
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: REPO },
    );
    assert.equal(stdout.trim(), 'verified');
  });

  it('works compiled (dist/, plain node, as the gossip command runs it)', async () => {
    ensureBuilt();
    const compiled = script
      .replace("'./runtime/pow/pool.ts'", "'./dist/runtime/pow/pool.js'")
      .replace("'./runtime/pow/verify.ts'", "'./dist/runtime/pow/verify.js'");
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', compiled], {
      cwd: REPO,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    assert.equal(stdout.trim(), 'verified');
  });
});
