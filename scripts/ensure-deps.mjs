#!/usr/bin/env node
// Runs `npm ci` when node_modules is missing or older than package-lock.json, so that
// `npm start` and `npm test` work as the very first command on a fresh clone.
// Uses only Node built-ins: it runs before any dependency exists.
import { existsSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockPath = join(root, 'package-lock.json');
const installedLockPath = join(root, 'node_modules', '.package-lock.json');

function isInstallCurrent() {
  if (!existsSync(installedLockPath)) return false;
  const wanted = JSON.parse(readFileSync(lockPath, 'utf8')).packages ?? {};
  const installed = JSON.parse(readFileSync(installedLockPath, 'utf8')).packages ?? {};
  for (const [path, entry] of Object.entries(wanted)) {
    if (path === '' || entry.optional) continue;
    if (installed[path]?.version !== entry.version) return false;
  }
  return true;
}

if (!isInstallCurrent()) {
  console.error('[ensure-deps] node_modules missing or stale: running npm ci');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit' });
}
