/**
 * Generates the WebAssembly text of the proof-of-work search kernel (docs/protocol.md §4.1).
 *
 * The kernel hashes four candidate challenges at once in the four i32 lanes of a v128
 * (WebAssembly SIMD): no native SHA instructions are reachable from WebAssembly, so width is
 * where the speed comes from. It is specialised for a challenge at KERNEL_CHALLENGE_OFFSET of
 * the frame (kernel.ts; equal to the generated CHALLENGE_OFFSET): message words W3 (challenge high half, fixed per call) and W4
 * (low half, lane i of iteration n = lo + 4n + i) of the first SHA-256 block. Everything that
 * does not depend on W4 is computed once per call by `kernel.ts` and read from memory:
 *   - rounds 0–3 and the W4-independent part of round 4,
 *   - W[t] + K[t] for the constant words t = 5..18,
 *   - for t = 19..63 the sum of the constant terms of W[t]'s schedule formula,
 *   - for frames longer than one block, K[t] + W[t] of every later block (no schedule there).
 * Only the top 32 bits of the digest are compared in the kernel; `kernel.ts` confirms a hit
 * with node:crypto, which also covers difficulties above 32 bits.
 *
 * `tsx runtime/pow/build-kernel.ts` writes this text to sha256-kernel.wat
 * and its wabt assembly to sha256-kernel.wasm; test/pow-kernel.spec.ts checks both are current.
 */
import { IV, K, LAYOUT } from './kernel.js';

/** Memory layout in 32-bit words: kernel.ts's, which writes exactly these slots. */
export const KERNEL_LAYOUT = LAYOUT;

/** Pages of 64 KiB; enough for a 65535-byte frame (1025 blocks × 256 bytes + header). */
export const KERNEL_MEMORY_PAGES = 5;

/** Whether schedule word W[t] of the first block is independent of the varying word W4. */
export function isConstantWord(t: number): boolean {
  return t < 19 && t !== 4;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const splatConst = (n: number): string => `(v128.const i32x4 ${hex(n)} ${hex(n)} ${hex(n)} ${hex(n)})`;
const get = (name: string): string => `(local.get $${name})`;
const add = (...xs: string[]): string => xs.reduce((acc, x) => `(i32x4.add ${acc} ${x})`);
const xor = (...xs: string[]): string => xs.reduce((acc, x) => `(v128.xor ${acc} ${x})`);
const shr = (x: string, n: number): string => `(i32x4.shr_u ${x} (i32.const ${n}))`;
const shl = (x: string, n: number): string => `(i32x4.shl ${x} (i32.const ${n}))`;
/** Loads one 32-bit word of memory (word index) into all four lanes. */
const loadSplat = (word: number, base = '(i32.const 0)'): string => `(v128.load32_splat offset=${word * 4} ${base})`;

// Rotations become shift pairs (SIMD has no lane rotate); the pairs of one Σ are XORed flat.
const rotrTerms = (x: string, n: number): string[] => [shr(x, n), shl(x, 32 - n)];
const bigSigma0 = (x: string): string => xor(...rotrTerms(x, 2), ...rotrTerms(x, 13), ...rotrTerms(x, 22));
const bigSigma1 = (x: string): string => xor(...rotrTerms(x, 6), ...rotrTerms(x, 11), ...rotrTerms(x, 25));
const smallSigma0 = (x: string): string => xor(...rotrTerms(x, 7), ...rotrTerms(x, 18), shr(x, 3));
const smallSigma1 = (x: string): string => xor(...rotrTerms(x, 17), ...rotrTerms(x, 19), shr(x, 10));
/** Ch(e, f, g) = e ? f : g, bit by bit. */
const choose = (e: string, f: string, g: string): string => `(v128.bitselect ${f} ${g} ${e})`;
/** Maj(a, b, c): where b and c differ the majority is a, elsewhere b. */
const majority = (a: string, b: string, c: string): string => `(v128.bitselect ${a} ${b} (v128.xor ${b} ${c}))`;

/**
 * One SHA-256 round on the named state locals; returns the code and the renamed state
 * (the round writes new e into d's local and new a into h's local, then the names rotate).
 * `isLast` skips the new e, which nothing reads after the final round of the final block.
 */
function round(state: string[], wPlusK: string, isLast = false): { code: string; state: string[] } {
  const [a, b, c, d, e, f, g, h] = state as [string, string, string, string, string, string, string, string];
  const t1 = `(local.set $t1 ${add(get(h), bigSigma1(get(e)), choose(get(e), get(f), get(g)), wPlusK)})`;
  const newE = isLast ? '' : `(local.set $${d} ${add(get(d), get('t1'))})`;
  const newA = `(local.set $${h} ${add(get('t1'), bigSigma0(get(a)), majority(get(a), get(b), get(c)))})`;
  return { code: `    ${t1}\n    ${newE}\n    ${newA}\n`, state: [h, a, b, c, d, e, f, g] };
}

/** The first block, rounds 4..63, for the lanes' W4; leaves the state in the returned locals. */
function firstBlock(isOnlyBlock: boolean): { code: string; state: string[] } {
  const L = KERNEL_LAYOUT;
  // After round 4 (W4 enters only there): a = round4A + W4, e = round4E + W4, the rest shift.
  let code =
    `    (local.set $a ${add(loadSplat(L.round4A), get('w4'))})\n` +
    `    (local.set $e ${add(loadSplat(L.round4E), get('w4'))})\n` +
    `    (local.set $b ${loadSplat(L.state3 + 0)})\n` +
    `    (local.set $c ${loadSplat(L.state3 + 1)})\n` +
    `    (local.set $d ${loadSplat(L.state3 + 2)})\n` +
    `    (local.set $f ${loadSplat(L.state3 + 3)})\n` +
    `    (local.set $g ${loadSplat(L.state3 + 4)})\n` +
    `    (local.set $h ${loadSplat(L.state3 + 5)})\n`;
  let state = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const word = (t: number): string => (t === 4 ? get('w4') : get(`w${t}`));
  for (let t = 5; t < 64; t++) {
    let wPlusK: string;
    if (t < 19) {
      wPlusK = loadSplat(L.constants + t);
    } else {
      // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]; constant terms are pre-summed.
      const terms: string[] = [loadSplat(L.constants + t)];
      if (!isConstantWord(t - 2)) terms.push(smallSigma1(word(t - 2)));
      if (!isConstantWord(t - 7)) terms.push(word(t - 7));
      if (!isConstantWord(t - 15)) terms.push(smallSigma0(word(t - 15)));
      if (!isConstantWord(t - 16)) terms.push(word(t - 16));
      code += `    (local.set $w${t} ${add(...terms)})\n`;
      wPlusK = add(get(`w${t}`), splatConst(K[t]!));
    }
    const r = round(state, wPlusK, isOnlyBlock && t === 63);
    code += r.code;
    state = r.state;
  }
  return { code, state };
}

/** The whole module text. */
export function kernelWat(): string {
  const L = KERNEL_LAYOUT;
  const locals = [
    'a',
    'b',
    'c',
    'd',
    'e',
    'f',
    'g',
    'h',
    't1',
    'w4',
    'mask',
    'h0',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'h7',
  ];
  for (let t = 19; t < 64; t++) locals.push(`w${t}`);
  const localDecls = locals.map((n) => `(local $${n} v128)`).join(' ');

  // Single-block frames (VERIFICATION RESPONSE): only digest word 0 is ever needed.
  const only = firstBlock(true);
  const onlyH0 = add(get(only.state[0]!), splatConst(IV[0]!));

  // Longer frames: finish block 0, then run every later block's constant words.
  const first = firstBlock(false);
  let chain = first.code;
  first.state.forEach((name, i) => {
    chain += `    (local.set $h${i} ${add(get(name), splatConst(IV[i]!))})\n`;
  });
  let later = '';
  ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].forEach((name, i) => {
    later += `      (local.set $${name} (local.get $h${i}))\n`;
  });
  let state = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  for (let t = 0; t < 64; t++) {
    const r = round(state, loadSplat(t, '(local.get $block)'));
    later += r.code.replace(/^ {4}/gm, '      ');
    state = r.state;
  }
  state.forEach((name, i) => {
    later += `      (local.set $h${i} ${add(get(`h${i}`), get(name))})\n`;
  });

  const hit = (h0: string): string =>
    `    (local.set $h0 ${h0})\n` +
    `    (if (v128.any_true (i32x4.eq (v128.and (local.get $h0) (local.get $mask)) (v128.const i64x2 0 0)))\n` +
    `      (then (v128.store offset=${L.hitDigestWord0 * 4} (i32.const 0) (local.get $h0)) (br $found)))\n`;

  return `;; GENERATED by runtime/pow/kernel-wat.ts (tsx runtime/pow/build-kernel.ts). DO NOT EDIT.
;; SHA-256 proof-of-work search, four challenges per v128 (docs/protocol.md §4.1).
(module
  (memory (export "memory") ${KERNEL_MEMORY_PAGES})
  ;; Tries challenges (hi, lo + 4n + lane) for n = 0..count-1, with hi already folded into
  ;; memory. Returns the first n where some lane's digest word 0 AND mask is 0 (and stores
  ;; the four lanes' digest word 0 at hitDigestWord0), else -1.
  (func (export "search") (param $lo i32) (param $count i32) (param $maskBits i32) (result i32)
    (local $n i32) (local $block i32) (local $blocksLeft i32)
    ${localDecls}
    (local.set $mask (i32x4.splat (local.get $maskBits)))
    (local.set $w4 (i32x4.add (i32x4.splat (local.get $lo)) (v128.const i32x4 0 1 2 3)))
    (if (i32.eqz (local.get $count)) (then (return (i32.const -1))))
    (if (i32.eqz (i32.load offset=${L.laterBlocks * 4} (i32.const 0)))
      (then
        (block $found
          (loop $next
${indent(only.code, 4)}${indent(hit(onlyH0), 4)}
            (local.set $w4 (i32x4.add (local.get $w4) (v128.const i32x4 4 4 4 4)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br_if $next (i32.lt_u (local.get $n) (local.get $count)))
            (return (i32.const -1))))
        (return (local.get $n))))
    (block $found
      (loop $next
${indent(chain, 2)}
        (local.set $block (i32.const ${L.laterBlockWords * 4}))
        (local.set $blocksLeft (i32.load offset=${L.laterBlocks * 4} (i32.const 0)))
        (loop $nextBlock
${indent(later, 2)}
          (local.set $block (i32.add (local.get $block) (i32.const 256)))
          (local.set $blocksLeft (i32.sub (local.get $blocksLeft) (i32.const 1)))
          (br_if $nextBlock (local.get $blocksLeft)))
${indent(hit(get('h0')), 2)}
        (local.set $w4 (i32x4.add (local.get $w4) (v128.const i32x4 4 4 4 4)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $next (i32.lt_u (local.get $n) (local.get $count)))
        (return (i32.const -1))))
    (local.get $n))
)
`;
}

function indent(code: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return code.replace(/^(?=.)/gm, pad).replace(/\n$/, '');
}
