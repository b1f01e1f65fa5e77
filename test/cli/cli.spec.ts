import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../runtime/config.js';
import { gossip, lines, type Run } from '../support/gossip-cli.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const FIXTURES = join(ROOT, 'test/fixtures/config');

/** Headroom over the reference run for code the two runs do not share; far below a 100 MB file. */
const EXTRA_BYTES_READ = 2 * 1024 * 1024;
const EXTRA_RSS_BYTES = 64 * 1024 * 1024;
/** docs/protocol.md §5's "within a second", counted in CPU time (see assertNoMoreWork). */
const EXTRA_CPU_MS = 1_000;

/**
 * `run` did no more work than `reference`, a run that does nothing but start and refuse: at most EXTRA_CPU_MS more CPU time, EXTRA_RSS_BYTES more memory and
 * EXTRA_BYTES_READ more bytes read. This is what "at once" is about (§5: `-c /dev/zero` grew to
 * 16 GB, a 100 MB line took 22 s and 3.4 GB): reading or parsing what it should refuse. Wall
 * time is not compared: on a loaded machine a process start alone takes seconds of it, while
 * CPU time, memory and bytes read stay what they are on an idle machine.
 */
function assertNoMoreWork(run: Run, reference: Run, what: string, extraRssBytes = EXTRA_RSS_BYTES): void {
  const [used, base] = [run.usage, reference.usage];
  assert.ok(used && base, `${what}: the processes reported no usage`);
  const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  const detail = `${what}: ${used.cpuMs.toFixed(0)} ms CPU, ${mib(used.maxRssBytes)} peak, ${mib(used.bytesRead ?? NaN)} read; the reference ${base.cpuMs.toFixed(0)} ms, ${mib(base.maxRssBytes)}, ${mib(base.bytesRead ?? NaN)} (wall ${run.tookMs.toFixed(0)} and ${reference.tookMs.toFixed(0)} ms)`;
  assert.ok(used.cpuMs - base.cpuMs < EXTRA_CPU_MS, `CPU time: ${detail}`);
  assert.ok(used.maxRssBytes - base.maxRssBytes < extraRssBytes, `memory: ${detail}`);
  if (used.bytesRead !== null && base.bytesRead !== null)
    assert.ok(used.bytesRead - base.bytesRead < EXTRA_BYTES_READ, `bytes read: ${detail}`);
}

describe('gossip CLI', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'gossip-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('gossip daemon with a bad config prints one line on stderr and exits 2', () => {
    const cases: Array<[string, string]> = [
      ['bad-degree.ini', '[gossip] degree: must be a number, got "many"'],
      ['missing-api-address.ini', '[gossip] api_address: missing (required)'],
      ['bad-address.ini', '[gossip] p2p_address: IPv6 address must be in brackets, e.g. [::1]:6001, got "::1:6001"'],
      ['missing-hostkey.ini', `hostkey: cannot read ${join(FIXTURES, 'does-not-exist.pem')}: no such file`],
    ];
    for (const [file, problem] of cases) {
      it(file, async () => {
        const path = join(FIXTURES, file);
        const run = await gossip(['daemon', '-c', path]);
        assert.equal(run.code, 2);
        assert.deepEqual(lines(run.stderr), [`gossip: ${path}: ${problem}`]);
        assert.equal(run.stdout, '');
      });
    }

    it('max_peers = degree (no inbound slot)', async () => {
      const path = join(dir, 'max-peers.ini');
      writeFileSync(
        path,
        readFileSync(join(FIXTURES, 'minimal.ini'), 'utf8').replace('degree = 5', 'degree = 5\nmax_peers = 5'),
      );
      const run = await gossip(['daemon', '-c', path], { killAfterMs: 20_000 });
      assert.equal(run.code, 2);
      assert.deepEqual(lines(run.stderr), [
        `gossip: ${path}: [gossip] max_peers: must be greater than degree (5) so that inbound slots (max_peers - degree) are at least 1, got 5`,
      ]);
    });

    it('a config file that does not exist', async () => {
      const run = await gossip(['daemon', '--config', join(dir, 'absent.ini')]);
      assert.equal(run.code, 2);
      assert.deepEqual(lines(run.stderr), [
        `gossip: ${join(dir, 'absent.ini')}: cannot read config file: no such file`,
      ]);
    });
  });

  describe('a config or hostkey that is not a small regular file: one line, exit 2, at once (daemon and --check-config)', () => {
    let fifo: string | null = null;
    let sparse: string;
    let longLine: string;
    /** By mode: a run refusing a config file that does not exist, which reads nothing. */
    const references = new Map<string, Run>();
    const base = (): string => readFileSync(join(FIXTURES, 'minimal.ini'), 'utf8');
    before(async function () {
      this.timeout(60_000);
      // Once for all cases: CPU time, memory and bytes read do not depend on the moment.
      for (const extra of [[], ['--check-config']]) {
        const reference = await gossip(['daemon', '-c', join(dir, 'absent.ini'), ...extra], { killAfterMs: 20_000 });
        assert.equal(reference.code, 2, `the reference run: ${reference.stderr}`);
        references.set(extra.join(' '), reference);
      }
      const path = join(dir, 'fifo');
      if (spawnSync('mkfifo', [path]).status === 0) fifo = path;
      sparse = join(dir, 'sparse-100mb');
      writeFileSync(sparse, '');
      truncateSync(sparse, 100_000_000);
      // A real single line of 100 MB (the case: it used to take 22 s and 3.4 GB).
      longLine = join(dir, 'long-line.ini');
      const fd = openSync(longLine, 'w');
      const chunk = Buffer.alloc(1_000_000, 'a');
      writeSync(fd, '[gossip]\nkey = ');
      for (let i = 0; i < 100; i++) writeSync(fd, chunk);
      closeSync(fd);
    });

    /**
     * `-c config` in both modes at once: each must exit 2 with exactly `line` and do no more
     * work than the reference run of its mode (assertNoMoreWork). The 20 s kill catches a run
     * that hangs.
     */
    async function assertOneLine(config: () => string | null, line: (config: string) => string): Promise<void> {
      const path = config();
      if (path === null) return;
      await Promise.all(
        [[], ['--check-config']].map(async (extra) => {
          const what = extra.length === 0 ? 'daemon' : '--check-config';
          const run = await gossip(['daemon', '-c', path, ...extra], { killAfterMs: 20_000 });
          assert.equal(run.code, 2, `${what}: ${run.stderr}`);
          assert.deepEqual(lines(run.stderr), [`gossip: ${path}: ${line(path)}`]);
          assert.equal(run.stdout, '');
          const reference = references.get(extra.join(' '))!;
          assertNoMoreWork(run, reference, what);
        }),
      );
    }
    const withHostkey = (name: string, hostkey: () => string | null) => (): string | null => {
      const key = hostkey();
      if (key === null) return null;
      const path = join(dir, name);
      writeFileSync(path, `hostkey = ${key}\n${base()}`);
      return path;
    };
    const skipWithoutFifo = function (this: Mocha.Context): void {
      if (fifo === null) this.skip();
    };

    it('-c /dev/zero', () =>
      assertOneLine(
        () => '/dev/zero',
        () => 'cannot read config file: not a regular file (a character device)',
      ));
    it('-c a FIFO', async function () {
      skipWithoutFifo.call(this);
      await assertOneLine(
        () => fifo,
        () => 'cannot read config file: not a regular file (a FIFO)',
      );
    });
    it('-c a directory', () =>
      assertOneLine(
        () => dir,
        () => 'cannot read config file: is a directory',
      ));
    it('-c a 100 MB file', () =>
      assertOneLine(
        () => sparse,
        () => 'cannot read config file: larger than 1 MiB (100000000 bytes)',
      ));
    it('-c a file of one 100 MB line', () =>
      assertOneLine(
        () => longLine,
        () => 'cannot read config file: larger than 1 MiB (100000015 bytes)',
      ));
    it('hostkey = /dev/zero', () =>
      assertOneLine(
        withHostkey('hk-zero.ini', () => '/dev/zero'),
        () => 'hostkey: cannot read /dev/zero: not a regular file (a character device)',
      ));
    it('hostkey = a FIFO', async function () {
      skipWithoutFifo.call(this);
      await assertOneLine(
        withHostkey('hk-fifo.ini', () => fifo),
        () => `hostkey: cannot read ${fifo}: not a regular file (a FIFO)`,
      );
    });
    it('hostkey = a directory', () =>
      assertOneLine(
        withHostkey('hk-dir.ini', () => dir),
        () => `hostkey: cannot read ${dir}: is a directory`,
      ));
    it('hostkey = a 100 MB file', () =>
      assertOneLine(
        withHostkey('hk-big.ini', () => sparse),
        () => `hostkey: cannot read ${sparse}: larger than 64 KiB (100000000 bytes)`,
      ));

    it('100,000 unknown keys: --check-config prints one warning line, quickly', async () => {
      const path = join(dir, 'many-unknown.ini');
      const keys = Array.from({ length: 100_000 }, (_, i) => `k${i.toString(36)}=1`).join('\n');
      writeFileSync(path, `${base()}${keys}\n`);
      const plain = join(dir, 'no-unknown.ini');
      writeFileSync(plain, base());
      const [run, reference] = await Promise.all([
        gossip(['daemon', '-c', path, '--check-config'], { killAfterMs: 20_000 }),
        gossip(['daemon', '-c', plain, '--check-config'], { killAfterMs: 20_000 }),
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(lines(run.stderr), [
        `gossip: warning: ${path}: 100000 unknown keys in [gossip] ignored: k0, k1, k2, k3, k4, …`,
      ]);
      // Quickly: at most a second of CPU time more than checking the config without them. Its
      // 800 KB of keys are parsed (about 64 MiB more memory than the reference), not refused.
      assertNoMoreWork(run, reference, '100,000 unknown keys', 256 * 1024 * 1024);
    });
  });

  it('--check-config prints the config with defaults filled in, unknown keys as warnings, and exits 0', async () => {
    const path = join(dir, 'check.ini');
    writeFileSync(
      path,
      readFileSync(join(FIXTURES, 'minimal.ini'), 'utf8').replace('[gossip]', '[gossip]\nfrom_the_future = 1'),
    );
    const run = await gossip(['daemon', '-c', path, '--check-config']);
    assert.equal(run.code, 0);
    assert.deepEqual(lines(run.stderr), [`gossip: warning: ${path}: [gossip] from_the_future: unknown key, ignored`]);
    assert.match(run.stdout, /^degree = 5$/m);
    assert.match(run.stdout, /^max_peers = 15$/m);
    assert.match(run.stdout, /^pow_difficulty = 24$/m);
    assert.match(run.stdout, /^handshake_timeout = 5$/m);
    assert.match(run.stdout, /^peers_file = $/m);
    assert.match(run.stdout, /^knowledge_base_bytes = 33554432$/m);
    assert.match(run.stdout, /^send_stall_timeout = 10$/m);
  });

  it('without -c uses the built-in config (API 127.0.0.1:7001, P2P 127.0.0.1:6001, no bootstrapper)', async () => {
    const run = await gossip(['daemon', '--check-config']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^api_address = 127\.0\.0\.1:7001$/m);
    assert.match(run.stdout, /^p2p_address = 127\.0\.0\.1:6001$/m);
    assert.match(run.stdout, /^bootstrapper = $/m);
  });

  it('runs the daemon from a config file, logs JSON lines when not on a terminal, and stops on SIGTERM', async () => {
    const path = join(dir, 'run.ini');
    writeFileSync(
      path,
      `[gossip]\ncache_size = 10\ndegree = 1\nrejoin_interval = 0\np2p_address = 127.0.0.1:0\napi_address = 127.0.0.1:0\n`,
    );
    let stoppedAt = 0;
    const spawnedAt = performance.now();
    const run = await gossip(['daemon', '-c', path], {
      onStdout: (stdout, kill) => {
        if (stoppedAt === 0 && stdout.includes('gossip daemon listening')) {
          // runDaemon installs its signal handlers before it starts listening: SIGTERM at once.
          stoppedAt = performance.now();
          kill('SIGTERM');
        }
      },
    });
    assert.ok(stoppedAt > 0, `daemon never listened: ${run.stdout}${run.stderr}`);
    assert.equal(run.code, 0, `signal ${run.signal}; ${run.stdout}${run.stderr}`);
    // Prompt: under 2 s, or on a loaded machine under twice what starting took in this run
    // (a start is mostly process and module loading, which load slows the same way). A stop
    // that waits for a timer or a peer would take longer than both.
    const [startMs, stopMs] = [stoppedAt - spawnedAt, performance.now() - stoppedAt];
    assert.ok(
      stopMs < Math.max(2_000, 2 * startMs),
      `shutdown took ${stopMs.toFixed(0)} ms, start-up ${startMs.toFixed(0)} ms`,
    );
    const records = lines(run.stdout).map((line) => JSON.parse(line) as { msg: string; name: string });
    assert.ok(records.some((record) => record.msg === 'gossip daemon listening' && record.name === 'gossip'));
  });

  it('rejects an unknown --log-level without starting', async () => {
    const run = await gossip(['daemon', '--log-level', 'loud', '--check-config']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /argument 'loud' is invalid/);
  });

  it('--help lists every command and every option', async () => {
    const run = await gossip(['--help']);
    assert.equal(run.code, 0);
    for (const text of [
      'daemon',
      'keygen',
      '-c, --config <file>',
      '--log-level <level>',
      '--check-config',
      '-o, --output <file>',
      '-f, --force',
      '-V, --version',
    ]) {
      assert.ok(run.stdout.includes(text), `--help misses ${text}`);
    }
  });

  describe('gossip keygen', () => {
    it('writes a 4096-bit RSA PEM with mode 0600 and prints SHA-256 of its DER SPKI public key', async () => {
      const path = join(dir, 'hostkey.pem');
      const run = await gossip(['keygen', '-o', path]);
      assert.equal(run.code, 0, run.stderr);
      const pem = readFileSync(path, 'utf8');
      const key = createPrivateKey(pem);
      assert.equal(key.asymmetricKeyType, 'rsa');
      assert.equal(key.asymmetricKeyDetails?.modulusLength, 4096);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
      assert.deepEqual(lines(run.stdout), [createHash('sha256').update(spki).digest('hex')]);
      // The key it writes is one the config accepts without a warning.
      const ini = join(dir, 'with-key.ini');
      writeFileSync(ini, `hostkey = hostkey.pem\n${readFileSync(join(FIXTURES, 'minimal.ini'), 'utf8')}`);
      assert.deepEqual(readConfig(ini).warnings, []);
    });

    it('--force overwrites an existing file and still leaves it mode 0600', async () => {
      const path = join(dir, 'old.pem');
      writeFileSync(path, 'old', { mode: 0o644 });
      const run = await gossip(['keygen', '--force', '--output', path]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(createPrivateKey(readFileSync(path, 'utf8')).asymmetricKeyDetails?.modulusLength, 4096);
      assert.equal(statSync(path).mode & 0o777, 0o600);
    });

    it('refuses to overwrite an existing file without --force, at once and leaving it untouched', async () => {
      const path = join(dir, 'taken.pem');
      writeFileSync(path, 'keep me');
      const [run, reference] = await Promise.all([gossip(['keygen', '-o', path]), gossip(['--help'])]);
      assert.equal(run.code, 1);
      assert.deepEqual(lines(run.stderr), [`gossip: keygen: ${path} already exists (use --force to overwrite)`]);
      assert.equal(readFileSync(path, 'utf8'), 'keep me');
      // At once: no key generated first, so no more CPU time than printing the help beside it.
      assertNoMoreWork(run, reference, 'keygen refusing');
    });
  });
});
