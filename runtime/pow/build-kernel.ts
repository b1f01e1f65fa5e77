/**
 * Writes the proof-of-work kernel (docs/protocol.md §4.1): sha256-kernel.wat from kernel-wat.ts,
 * and sha256-kernel.wasm assembled from it with wabt (a pinned dev dependency, so the bytes
 * are reproducible). Both files are committed: the daemon loads the .wasm without wabt.
 *
 *   tsx runtime/pow/build-kernel.ts           rewrite both files
 *   tsx runtime/pow/build-kernel.ts --check   exit 1 if either differs from what it would write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';
import { kernelWat } from './kernel-wat.js';

export const WAT_PATH = fileURLToPath(new URL('./sha256-kernel.wat', import.meta.url));
export const WASM_PATH = fileURLToPath(new URL('./sha256-kernel.wasm', import.meta.url));

/** Assembles WebAssembly text to bytes with SIMD enabled and no debug names. */
export async function assemble(wat: string): Promise<Uint8Array> {
  const toolkit = await wabt();
  const module = toolkit.parseWat('sha256-kernel.wat', wat, { simd: true });
  try {
    module.validate();
    return module.toBinary({ canonicalize_lebs: true, write_debug_names: false }).buffer;
  } finally {
    module.destroy();
  }
}

/** The .wat and .wasm that the generator produces now. */
export async function buildKernel(): Promise<{ wat: string; wasm: Uint8Array }> {
  const wat = kernelWat();
  return { wat, wasm: await assemble(wat) };
}

async function main(): Promise<void> {
  const { wat, wasm } = await buildKernel();
  if (process.argv.includes('--check')) {
    const sameWat = readFileSync(WAT_PATH, 'utf8') === wat;
    const sameWasm = Buffer.from(wasm).equals(readFileSync(WASM_PATH));
    if (!sameWat || !sameWasm) {
      console.error('runtime/pow/sha256-kernel.{wat,wasm} are stale: run tsx runtime/pow/build-kernel.ts');
      process.exit(1);
    }
    console.log('runtime/pow/sha256-kernel.{wat,wasm} are current');
    return;
  }
  writeFileSync(WAT_PATH, wat);
  writeFileSync(WASM_PATH, wasm);
  console.log(`wrote ${WAT_PATH} (${wat.length} chars) and ${WASM_PATH} (${wasm.length} bytes)`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
