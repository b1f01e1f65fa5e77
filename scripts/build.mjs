#!/usr/bin/env node
// `npm run build`: compiles runtime/ and generated/ (and the conformance suite they import)
// with tsconfig.build.json into dist/, then copies the files tsc does not emit (the proof-of-
// work kernel's .wasm). dist/ is emptied first, so no file of a deleted source survives.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
/** Files the runtime reads beside its compiled modules. */
const ASSETS = ['runtime/pow/sha256-kernel.wasm'];

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
for (const asset of ASSETS) {
  mkdirSync(dirname(join(dist, asset)), { recursive: true });
  copyFileSync(join(root, asset), join(dist, asset));
}
