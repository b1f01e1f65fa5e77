/**
 * Builds dist/ (`npm run build`) once per mocha run: the `gossip` command (bin/gossip.js) runs
 * the compiled code, so every test that spawns it, and the package test, needs a current
 * dist/. Registered as a mocha global setup in .mocharc.json; test/package/ calls ensureBuilt()
 * itself too (a no-op when the setup already built), so it also works when run alone.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
let built = false;

/** Runs scripts/build.mjs unless this process already did. */
export function ensureBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  built = true;
}

export function mochaGlobalSetup(): void {
  ensureBuilt();
}
