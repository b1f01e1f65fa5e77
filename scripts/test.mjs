#!/usr/bin/env node
// `npm test`: every check of the project, at the same time where they do not depend on each
// other: types and lint over one TypeScript program, Prettier (with its content cache in
// node_modules/.cache), the staleness check of generated/, and the build of dist/. Once dist/
// is built, mocha runs the tests (in parallel workers, .mocharc.cjs) while the other checks go
// on: most tests wait on sockets and timers, so the checks use cores the tests leave idle.
// Each check prints its verdict when it ends (its output too when it failed); the run fails
// when anything failed, and ends with the time each step took.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
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

const started = performance.now();
const timings = [];

/** Runs `node args`; resolves with whether it exited 0, its output (unless inherited) and time. */
function run(name, args, { inherit = false, env = process.env } = {}) {
  const from = (performance.now() - started) / 1000;
  const child = spawn(process.execPath, args, {
    cwd: root,
    env,
    stdio: inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
  });
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

const checks = CHECKS.map(([name, args]) => run(name, args));
let ok = await run(...BUILD);
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
