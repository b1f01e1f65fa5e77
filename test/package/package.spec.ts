/**
 * The package the way a user meets it (no tsx, no dev dependencies, no checkout): build dist/
 * once, `npm pack`, install the tarball into an empty directory with `--omit=dev` from the
 * local npm cache (its dependencies: exactly the packages dist/ imports), then from there run
 * `gossip daemon` (announce → notification), `gossip conformance --spawn` on a few api cases,
 * and a consumer module (test/fixtures/consumer) that imports every entry point by the package
 * name, type-checks against the installed .d.ts files and runs.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiClient } from '../../runtime/api/api-client.js';
import { ensureBuilt } from '../support/build-dist.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CONSUMER_FIXTURE = join(ROOT, 'test/fixtures/consumer');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
};
/** A child's environment without anything that would load TypeScript. */
const CLEAN_ENV = { ...process.env, NODE_OPTIONS: '', GOSSIP_DEBUG: '' };

/** The API port a daemon logged in its "listening" line (it was started on port 0). */
function apiPortOf(output: string): number {
  const port = /"api":"[^"]*:(\d+)"/.exec(output)?.[1];
  if (!port) throw new Error(`no API port in the daemon's output:\n${output}`);
  return Number(port);
}

/** npm, quietly; the output on failure. */
async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env: CLEAN_ENV,
    maxBuffer: 16 << 20,
  });
  return stdout;
}

/** Spawns a long-running command; resolves once a line of its output matches `ready`. */
function startUntil(
  command: string,
  args: string[],
  cwd: string,
  ready: RegExp,
  timeoutMs = 20_000,
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { cwd, env: CLEAN_ENV });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${ready} within ${timeoutMs} ms:\n${text}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (ready.test(text)) {
        clearTimeout(timer);
        resolve({ child, output: () => text });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${ready}:\n${text}`));
    });
  });
}

describe('the packed package, installed with --omit=dev (package.json, dist/)', function () {
  this.timeout(180_000);
  let work: string;
  let app: string;
  let tarball: string;
  let daemon: ChildProcess | null = null;

  before(async () => {
    const started = performance.now();
    ensureBuilt();
    work = mkdtempSync(join(tmpdir(), 'gossip-package-'));
    const packed = JSON.parse(
      await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT),
    ) as Array<{ filename: string }>;
    tarball = join(work, packed[0]!.filename);
    app = join(work, 'consumer');
    cpSync(CONSUMER_FIXTURE, app, { recursive: true });
    try {
      await npm(['install', '--omit=dev', '--offline', tarball], app);
    } catch (error) {
      // A cache that never saw a packument (a fresh machine): let npm fill it from the registry.
      if (!String((error as { stderr?: unknown }).stderr).includes('ENOTCACHED')) throw error;
      await npm(['install', '--omit=dev', '--prefer-offline', tarball], app);
    }
    console.log(
      `      (build, pack ${(statSync(tarball).size / 1024).toFixed(0)} KB and install: ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
  });

  after(async () => {
    daemon?.kill('SIGTERM');
    if (work && !process.env.KEEP_PACKAGE_TEST) rmSync(work, { recursive: true, force: true });
  });

  it('holds dist/, spec/ and the docs, no TypeScript sources, and installs exactly the runtime dependencies', async () => {
    const installed = join(app, 'node_modules', pkg.name);
    for (const file of [
      'bin/gossip.js',
      'dist/runtime/cli/cli.js',
      'dist/runtime/pow/worker.js',
      'dist/runtime/pow/sha256-kernel.wasm',
      'dist/runtime/index.d.ts',
      'spec/gossip_announce.ksy',
      'docs/protocol.md',
      'README.md',
    ]) {
      assert.ok(existsSync(join(installed, file)), `${file} is in the package`);
    }
    assert.ok(
      !existsSync(join(installed, 'runtime')) && !existsSync(join(installed, 'test')),
      'no sources in the package',
    );
    for (const dev of ['tsx', 'typescript', 'mocha', 'wabt'])
      assert.ok(!existsSync(join(app, 'node_modules', dev)), `dev dependency ${dev} not installed`);
    for (const dependency of Object.keys(pkg.dependencies))
      assert.ok(existsSync(join(app, 'node_modules', dependency)), `${dependency} installed`);
  });

  it('depends on exactly the packages its compiled code imports', () => {
    const installed = join(app, 'node_modules', pkg.name);
    const imported = new Set<string>();
    const files = [
      'bin/gossip.js',
      ...readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.js'))
        .map((file) => join('dist', file)),
    ];
    for (const file of files) {
      const text = readFileSync(join(installed, file), 'utf8');
      const statements =
        /^(?:import|export)\b[^'";]*?\bfrom\s*'([^'.][^']*)'|^import\s*'([^'.][^']*)'|\bimport\(\s*'([^'.][^']*)'\)/gm;
      for (const match of text.matchAll(statements)) {
        const specifier = match[1] ?? match[2] ?? match[3] ?? '';
        if (specifier.startsWith('node:')) continue;
        // 'pkg/sub' and '@scope/pkg/sub' name the package 'pkg' and '@scope/pkg'.
        imported.add(
          specifier
            .split('/')
            .slice(0, specifier.startsWith('@') ? 2 : 1)
            .join('/'),
        );
      }
    }
    assert.deepEqual(
      [...imported].sort(),
      Object.keys(pkg.dependencies).sort(),
      'imports of dist/ and bin/ = dependencies',
    );
  });

  it('gossip daemon -c … from the install serves an announce → notification', async () => {
    // Port 0: the daemon binds free ports itself and logs them (no pick-then-bind race).
    writeFileSync(
      join(app, 'node.ini'),
      `[gossip]\ncache_size = 50\ndegree = 2\napi_address = 127.0.0.1:0\np2p_address = 127.0.0.1:0\npow_difficulty = 4\n`,
    );
    const started = await startUntil(
      join(app, 'node_modules/.bin/gossip'),
      ['daemon', '-c', 'node.ini'],
      app,
      /daemon listening/,
    );
    daemon = started.child;
    const port = apiPortOf(started.output());
    const subscriber = await ApiClient.connect({ host: '127.0.0.1', port });
    const announcer = await ApiClient.connect({ host: '127.0.0.1', port });
    try {
      subscriber.notify(4711);
      // NOTIFY has no answer: announce until the subscription shows, a new item each time,
      // rather than guessing how long the daemon takes to handle it.
      let notification = null;
      for (let attempt = 0; attempt < 20 && !notification; attempt++) {
        announcer.announce({ ttl: 1, dataType: 4711, data: Uint8Array.of(0xca, 0xfe, attempt) });
        notification = await subscriber.nextNotification(250);
      }
      assert.deepEqual(notification && { type: notification.dataType, data: [...notification.data].slice(0, 2) }, {
        type: 4711,
        data: [0xca, 0xfe],
      });
    } finally {
      subscriber.destroy();
      announcer.destroy();
      daemon.kill('SIGTERM');
      daemon = null;
    }
  });

  it('gossip conformance --spawn from the install passes api cases against its own daemon', async () => {
    const gossip = join(app, 'node_modules', pkg.name, 'bin/gossip.js');
    const { stdout } = await run(
      join(app, 'node_modules/.bin/gossip'),
      [
        'conformance',
        '--spawn',
        `"${process.execPath}" "${gossip}" daemon -c {config}`,
        '--nodes',
        '3',
        '--group',
        'api',
        '--hostkey-bits',
        '2048',
        '--set',
        'pow_difficulty=4',
        '--only',
        'api/3.1/local-delivery,api/3.1/cross-node-delivery,api/1/unknown-type',
        '--json',
      ],
      { cwd: app, env: CLEAN_ENV, maxBuffer: 16 << 20 },
    );
    const report = JSON.parse(stdout) as { cases: Array<{ id: string; outcome: { status: string } }> };
    // Preconditions the chosen cases rely on run too (announce-without-subscription runs first).
    assert.deepEqual(report.cases.map((c) => `${c.id} ${c.outcome.status}`).sort(), [
      'api/1/unknown-type pass',
      'api/3.1/announce-without-subscription pass',
      'api/3.1/cross-node-delivery pass',
      'api/3.1/local-delivery pass',
    ]);
  });

  it('a consumer module imports every entry point by the package name, type-checks against the .d.ts and runs', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    // Dev tools come from this checkout (the install has none); @types/node too.
    await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--typeRoots', join(ROOT, 'node_modules/@types')], {
      cwd: app,
      env: CLEAN_ENV,
    }).catch((error: Error & { stdout?: string }) => {
      throw new Error(`consumer does not type-check:\n${error.stdout ?? error.message}`);
    });
    const { stdout } = await run(process.execPath, ['out/main.js'], { cwd: app, env: CLEAN_ENV, timeout: 30_000 });
    assert.match(stdout, /notified: type 1337, "hello"/);
    assert.match(stdout, /codec: type 500 = 500, ttl 3/);
    assert.match(stdout, /conformance: \d+ api cases/);
    assert.match(stdout, /pow: challenge \d+ proves 8 bits: true/);
    assert.match(stdout, /metrics: true, events: announced delivered/);
  });

  it('README\'s "Use it from your own module" example is the consumer\'s code', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const consumer = readFileSync(join(CONSUMER_FIXTURE, 'src/main.ts'), 'utf8');
    assert.ok(
      readme.includes('```ts\n' + consumer + '```'),
      'README.md quotes test/fixtures/consumer/src/main.ts verbatim in a ```ts block',
    );
  });
});
