#!/usr/bin/env node
// Start-up time of the daemon, process spawn to its "gossip daemon listening" log line:
// from source through tsx (how `npm start` ran before the package was compiled) and compiled
// (`node bin/gossip.js`, what the installed `gossip` runs). Needs dist/ (`npm run build`) and
// the dev dependencies. Usage: node scripts/measure-startup.mjs [runs, default 11]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 11);
const work = mkdtempSync(join(tmpdir(), 'gossip-startup-'));
const config = join(work, 'node.ini');

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function timeOnce(args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, NODE_OPTIONS: '' } });
    let text = '';
    let ms = null;
    child.stdout.on('data', (chunk) => {
      text += chunk;
      if (ms === null && text.includes('gossip daemon listening')) {
        ms = Number(process.hrtime.bigint() - started) / 1e6;
        child.kill('SIGTERM');
      }
    });
    child.once('exit', (code) =>
      ms === null ? reject(new Error(`exited (${code}) before listening:\n${text}`)) : resolve(ms),
    );
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const modes = {
  'tsx (source)': [join(root, 'node_modules/tsx/dist/cli.mjs'), 'runtime/cli/cli.ts', 'daemon', '-c', config],
  'compiled (dist/)': ['bin/gossip.js', 'daemon', '-c', config],
};
try {
  for (const [name, args] of Object.entries(modes)) {
    const times = [];
    for (let i = 0; i <= runs; i++) {
      writeFileSync(
        config,
        `[gossip]\ncache_size = 50\ndegree = 8\napi_address = 127.0.0.1:${await freePort()}\np2p_address = 127.0.0.1:${await freePort()}\n`,
      );
      const ms = await timeOnce(args);
      if (i > 0) times.push(ms); // the first run warms caches (tsx's transform cache, the OS's)
    }
    console.log(
      `${name.padEnd(18)} median ${median(times).toFixed(0)} ms, min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)} (${runs} runs after 1 warm-up)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
