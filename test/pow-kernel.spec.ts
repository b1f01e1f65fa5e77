import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WASM_PATH, WAT_PATH, buildKernel } from '../runtime/pow/build-kernel.js';
import { CHALLENGE_OFFSET } from '../generated/index.js';
import { ChallengeSearch, KERNEL_CHALLENGE_OFFSET, LAYOUT, kernelDigestWord0 } from '../runtime/pow/kernel.js';
import { KERNEL_LAYOUT, isConstantWord } from '../runtime/pow/kernel-wat.js';

/** Digest word 0 by node:crypto of `frame` with challenge (high, low) at CHALLENGE_OFFSET (docs/protocol.md §4.1). */
function referenceWord0(frame: Uint8Array, high: number, low: number): number {
  const copy = Buffer.from(frame);
  copy.writeUInt32BE(high >>> 0, CHALLENGE_OFFSET);
  copy.writeUInt32BE(low >>> 0, CHALLENGE_OFFSET + 4);
  return createHash('sha256').update(copy).digest().readUInt32BE(0);
}

describe('SHA-256 search kernel (runtime/pow/kernel.ts + sha256-kernel.wasm)', () => {
  it('matches node:crypto on 3000 random frames of 20 bytes and 3000 of 21..400 bytes (4 lanes each)', () => {
    const lengths = [
      ...Array.from({ length: 3000 }, () => 20),
      ...Array.from({ length: 3000 }, () => randomInt(21, 401)),
    ];
    let cases = 0;
    for (const length of lengths) {
      const frame = randomBytes(length);
      const high = randomInt(2 ** 32);
      const low = randomInt(2 ** 32 - 4);
      const got = kernelDigestWord0(frame, high, low);
      for (let lane = 0; lane < 4; lane++) {
        assert.equal(
          got[lane],
          referenceWord0(frame, high, low + lane),
          `length ${length}, challenge ${high}:${low + lane}`,
        );
        cases++;
      }
    }
    assert.equal(cases, 24000);
  });

  it('matches node:crypto on every block-boundary length 52..136 and a 65535-byte frame', () => {
    const lengths = [...Array.from({ length: 85 }, (_, i) => 52 + i), 65535];
    for (const length of lengths) {
      const frame = randomBytes(length);
      const got = kernelDigestWord0(frame, 0xffffffff, 0xfffffffc);
      for (let lane = 0; lane < 4; lane++)
        assert.equal(got[lane], referenceWord0(frame, 0xffffffff, 0xfffffffc + lane), `length ${length}`);
    }
  });

  it('finds exactly the challenges that node:crypto says have the zero bits, in order', () => {
    const frame = randomBytes(20);
    const search = new ChallengeSearch(frame);
    search.setHigh(7);
    const bits = 10;
    const expected: number[] = [];
    for (let low = 0; low < 1 << 14; low++) if (referenceWord0(frame, 7, low) >>> (32 - bits) === 0) expected.push(low);
    const found: number[] = [];
    // Each call scans from `low` (any value, not only multiples of 4) in whole groups of 4,
    // so every challenge below end − 3 is covered; compare there.
    const end = 1 << 14;
    for (let low = 0; ;) {
      const challenge = search.search(low, Math.floor((end - low) / 4), bits);
      if (challenge === null) break;
      assert.equal(challenge >> 32n, 7n);
      found.push(Number(challenge & 0xffffffffn));
      low = found.at(-1)! + 1;
    }
    const covered = (v: number): boolean => v < end - 3;
    assert.ok(expected.length > 3, 'the sample holds several hits');
    assert.deepEqual(found.filter(covered), expected.filter(covered));
  });

  it('reports a hit only when more than 32 zero bits are really there (confirmed by node:crypto)', () => {
    const search = new ChallengeSearch(randomBytes(20));
    search.setHigh(0);
    // 40 bits cannot be met in 2^16 tries except by a 2^-24 fluke: any word-0 hits are rejected.
    assert.equal(search.search(0, 1 << 14, 40), null);
  });

  it("is specialised for the protocol's challenge offset (the generated CHALLENGE_OFFSET)", () => {
    // A spec that moves the challenge needs a new kernel; until then proofs take the generic, slower search.
    assert.equal(KERNEL_CHALLENGE_OFFSET, CHALLENGE_OFFSET);
  });

  it('rejects a frame too short to hold a challenge at its offset', () => {
    const short = new Uint8Array(KERNEL_CHALLENGE_OFFSET + 7);
    assert.throws(
      () => new ChallengeSearch(short),
      new RegExp(`no room for a challenge at offset ${KERNEL_CHALLENGE_OFFSET}`),
    );
  });

  it('shares its memory layout and constant-word rule with the generator', () => {
    assert.deepEqual({ ...LAYOUT }, { ...KERNEL_LAYOUT });
    const constant = Array.from({ length: 64 }, (_, t) => isConstantWord(t));
    assert.deepEqual(
      constant.map((c, t) => (c ? t : -1)).filter((t) => t >= 0),
      [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18],
    );
  });

  it('committed sha256-kernel.wat and .wasm are what the generator and wabt produce now', async () => {
    const { wat, wasm } = await buildKernel();
    assert.equal(readFileSync(WAT_PATH, 'utf8'), wat, 'run: tsx runtime/pow/build-kernel.ts');
    assert.ok(Buffer.from(wasm).equals(readFileSync(WASM_PATH)), 'run: tsx runtime/pow/build-kernel.ts');
  });
});
