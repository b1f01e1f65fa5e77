#!/usr/bin/env node
// `npm test`: every check of the project. The checks that only read the tree run at the same
// time (each one's output is printed whole when it ends): types and lint over one TypeScript
// program, Prettier (with its content cache in node_modules/.cache), the staleness check of
// generated/, and the build of dist/. When all of them pass, mocha runs the tests (in parallel
// workers, .mocharc.cjs), told that dist/ is built. Exit 1 when anything failed; the time
// each step took is printed at the end.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resolve = createRequire(import.meta.url).resolve;
const node = process.execPath;

/** The checks that run together before the tests: name and command (node's arguments). */
const CHECKS = [
  ['typecheck and lint', ['scripts/typecheck-and-lint.mjs']],
  ['format', [resolve('prettier/bin/prettier.cjs'), '--check', '--cache', '--log-level', 'warn', '.']],
  ['generate --check', ['--import', 'tsx', 'generator/main.ts', '--check']],
  ['build', ['scripts/build.mjs']],
];

/** Runs `node args`; resolves with its exit code, output (unless inherited) and seconds taken. */
function run(args, { inherit = false, env = process.env } = {}) {
  const started = performance.now();
  const child = spawn(node, args, { cwd: root, env, stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return new Promise((done) =>
    child.on('close', (code, signal) =>
      done({ ok: code === 0, code: code ?? signal, output, seconds: (performance.now() - started) / 1000 }),
    ),
  );
}

const started = performance.now();
const timings = [];
const checks = await Promise.all(
  CHECKS.map(async ([name, args]) => {
    const result = await run(args);
    process.stdout.write(`\n> ${name}: ${result.ok ? 'ok' : `FAILED (exit ${result.code})`}\n${result.output}`);
    timings.push([name, result.seconds]);
    return result.ok;
  }),
);
let ok = checks.every(Boolean);
if (ok) {
  process.stdout.write('\n> mocha\n');
  const mocha = await run([resolve('mocha/bin/mocha.js')], {
    inherit: true,
    env: { ...process.env, GOSSIP_TEST_DIST_BUILT: root },
  });
  timings.push(['mocha', mocha.seconds]);
  ok = mocha.ok;
}
timings.push(['npm test', (performance.now() - started) / 1000]);
process.stdout.write(
  `\n${timings.map(([name, seconds]) => `${name.padEnd(20)} ${seconds.toFixed(1)} s`).join('\n')}\n`,
);
process.exitCode = ok ? 0 : 1;
