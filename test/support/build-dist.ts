/**
 * Builds dist/ (`npm run build`) once per mocha run: the `gossip` command (bin/gossip.js) runs
 * the compiled code, so every test that spawns it, and the package test, needs a current
 * dist/. Registered as a mocha global setup in .mocharc.json; test/package/ calls ensureBuilt()
 * itself too (a no-op when the setup already built), so it also works when run alone.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
/**
 * The repository whose dist/ is built: set once built, so that mocha's parallel workers (forked
 * after the global setup, with its environment) neither build again nor empty dist/ under a
 * test of another worker; scripts/test.mjs sets it when it built dist/ before mocha.
 */
const BUILT_MARK = 'GOSSIP_TEST_DIST_BUILT';

/** Runs scripts/build.mjs unless this process, the mocha run or npm test that started it already did. */
export function ensureBuilt(): void {
  const built = process.env[BUILT_MARK];
  if (built !== undefined && resolve(built) === REPO_ROOT) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  process.env[BUILT_MARK] = REPO_ROOT;
}

export function mochaGlobalSetup(): void {
  ensureBuilt();
}
