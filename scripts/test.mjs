#!/usr/bin/env node
// `npm test`: every check of the project. dist/ is built first; then mocha runs the tests (in
// parallel workers, .mocharc.cjs) while, at the same time and at a lower CPU priority, the
// other checks run: types and lint over one TypeScript program, Prettier (with its content
// cache in node_modules/.cache) and the staleness check of generated/. Most tests wait on
// sockets, timers and child processes, so the checks take the cores the tests leave idle
// without slowing the tests that measure time. Each check prints its verdict when it ends (its
// output too when it failed); the run fails when anything failed, and ends with when each
// step ran.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resolve = createRequire(import.meta.url).resolve;

/** The checks besides the tests: name and node's arguments. */
const CHECKS = [
  ['typecheck and lint', ['scripts/typecheck-and-lint.mjs']],
  ['format', [resolve('prettier/bin/prettier.cjs'), '--check', '--cache', '--log-level', 'warn', '.']],
  ['generate --check', ['--import', 'tsx', 'generator/main.ts', '--check']],
];
const BUILD = ['build', ['scripts/build.mjs']];
/** The checks' niceness: the tests' processes come first for the CPU. */
const CHECK_NICENESS = 10;

const started = performance.now();
const timings = [];

/** Runs `node args`; resolves with whether it exited 0, its output (unless inherited) and time. */
function run(name, args, { inherit = false, env = process.env, niceness = 0 } = {}) {
  const from = (performance.now() - started) / 1000;
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
  if (niceness && child.pid !== undefined) setPriority(child.pid, niceness);
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  return new Promise((done) =>
    child.on('close', (code, signal) => {
      timings.push([name, from, (performance.now() - started) / 1000]);
      const verdict = code === 0 ? 'ok' : `FAILED (${signal ?? `exit ${code}`})`;
      if (!inherit) process.stdout.write(`\n> ${name}: ${verdict}\n${code === 0 ? '' : output}`);
      done(code === 0);
    }),
  );
}

let ok = await run(...BUILD);
const checks = CHECKS.map(([name, args]) => run(name, args, { niceness: CHECK_NICENESS }));
if (ok) {
  process.stdout.write('\n> mocha (dist/ built)\n');
  const env = { ...process.env, GOSSIP_TEST_DIST_BUILT: root };
  ok = await run('mocha', [resolve('mocha/bin/mocha.js')], { inherit: true, env });
}
ok = (await Promise.all(checks)).every(Boolean) && ok;
process.stdout.write(
  `\n${timings.map(([name, from, to]) => `${name.padEnd(20)} ${from.toFixed(1).padStart(5)} → ${to.toFixed(1).padStart(5)} s`).join('\n')}\n`,
);
process.stdout.write(
  `npm test ${ok ? 'passed' : 'FAILED'} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
process.exitCode = ok ? 0 : 1;
