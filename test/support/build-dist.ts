/**
 * Builds dist/ (`npm run build`) once per mocha run: the `gossip` command (bin/gossip.js) runs
 * the compiled code, so every test that spawns it, and the package test, needs a current
 * dist/. Registered as a mocha global setup in .mocharc.json; test/package/ calls ensureBuilt()
 * itself too (a no-op when the setup already built), so it also works when run alone.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Set once built, so that mocha's parallel workers (forked after the global setup, with its
 * environment) neither build again nor empty dist/ under a test of another worker.
 */
const BUILT_MARK = 'GOSSIP_TEST_DIST_BUILT';

/** Runs scripts/build.mjs unless this process or the mocha run that started it already did. */
export function ensureBuilt(): void {
  if (process.env[BUILT_MARK] === REPO_ROOT) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  process.env[BUILT_MARK] = REPO_ROOT;
}

export function mochaGlobalSetup(): void {
  ensureBuilt();
}
