/**
 * Starts the daemon the way a user does: writes an INI config (docs/protocol.md §5) to a temporary
 * directory, spawns `node bin/gossip.js daemon -c <file>`, and stops the process at the end
 * (SIGTERM, then SIGKILL). Every address is port 0: the daemon binds its own ports and the
 * test reads them back from its "gossip daemon listening" log line, so no port is picked by
 * one process and bound by another. Used by the black-box API tests and by bench:api.
 * Everything the process prints is kept, so a test can check that nothing was thrown out of
 * the event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from '../../runtime/api/api-client.js';

/** The repository root: bin/gossip.js is resolved from here. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Every spawned daemon listens on loopback only (tests stay on 127.0.0.0/8). */
const HOST = '127.0.0.1';
/** tsx compiles the daemon on start: a few seconds on a busy 2-core machine. */
const DEFAULT_STARTUP_TIMEOUT_MS = 15_000;
/** After SIGTERM the daemon must close within 2 s; SIGKILL after this. */
const STOP_GRACE_MS = 3_000;
/** The daemon's log message once every port is bound (runtime/daemon.ts), with `api`, `p2p`, `metrics`. */
const LISTENING_MESSAGE = 'gossip daemon listening';
/** Log levels at which the daemon writes LISTENING_MESSAGE (info and below). */
const LEVELS_THAT_LOG_LISTENING = ['trace', 'debug', 'info'];

export interface DaemonProcessOptions {
  /**
   * Keys of the [gossip] section; they win over the test defaults below. `log_level` must stay
   * at info or below: the ports are read from an info line.
   */
  readonly gossip?: Readonly<Record<string, string | number>>;
  /** Serve Prometheus metrics on a loopback port of the daemon's choosing (the `metrics_address` key). */
  readonly withMetrics?: boolean;
  /** Raw INI text appended to the file (other modules' sections, …). */
  readonly extraIni?: string;
  readonly startupTimeoutMs?: number;
  /** Options for node itself, before bin/gossip.js (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  /** Run under `ulimit -n` of this many descriptors (out-of-descriptor tests). */
  readonly descriptorLimit?: number;
}

/** Test defaults: tiny proof of work, fast timeouts, no re-joining, a fixed topology. */
const TEST_GOSSIP_KEYS: Readonly<Record<string, string | number>> = {
  cache_size: 50,
  degree: 4,
  pow_difficulty: 0,
  validation_timeout: 5,
  verification_timeout: 5,
  rejoin_interval: 0,
  log_level: 'debug',
};

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class DaemonProcess {
  private stdout = '';
  private stderr = '';
  private exitStatus: ExitStatus | null = null;
  private readonly exited: Promise<ExitStatus>;
  private readonly killOnExit = (): void => void this.child.kill('SIGKILL');
  private bound: { api: Endpoint; p2p: Endpoint; metrics: Endpoint | null } | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly configPath: string,
    private readonly workDir: string,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        process.off('exit', this.killOnExit);
        resolve(this.exitStatus);
      }),
    );
    // Never leave a daemon behind, even when mocha is interrupted.
    process.once('exit', this.killOnExit);
  }

  /** Writes the config, spawns the daemon and resolves once it logged the ports it bound. */
  static async start(options: DaemonProcessOptions = {}): Promise<DaemonProcess> {
    const keys: Record<string, string | number> = {
      ...TEST_GOSSIP_KEYS,
      api_address: `${HOST}:0`,
      p2p_address: `${HOST}:0`,
      ...(options.withMetrics ? { metrics_address: `${HOST}:0` } : {}),
      ...options.gossip,
    };
    if (!LEVELS_THAT_LOG_LISTENING.includes(String(keys.log_level))) {
      throw new Error(
        `log_level ${keys.log_level}: the daemon would not log "${LISTENING_MESSAGE}", where its ports are read from`,
      );
    }
    const workDir = mkdtempSync(join(tmpdir(), 'gossip-daemon-'));
    const configPath = join(workDir, 'config.ini');
    const ini = [
      '[gossip]',
      ...Object.entries(keys).map(([key, value]) => `${key} = ${value}`),
      options.extraIni ?? '',
    ];
    writeFileSync(configPath, `${ini.join('\n')}\n`);
    const args = [...(options.nodeArgs ?? []), 'bin/gossip.js', 'daemon', '-c', configPath];
    const [command, commandArgs] =
      options.descriptorLimit === undefined
        ? [process.execPath, args]
        : ['bash', ['-c', `ulimit -n ${options.descriptorLimit}; exec "$0" "$@"`, process.execPath, ...args]];
    const child = spawn(command, commandArgs, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new DaemonProcess(child, configPath, workDir);
    try {
      await daemon.waitForListening(options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }

  /** Where the API server listens (bound by the daemon, read from its log). */
  get api(): Endpoint {
    return this.endpoints.api;
  }

  get p2p(): Endpoint {
    return this.endpoints.p2p;
  }

  /** The metrics endpoint; null when started without `withMetrics`. */
  get metrics(): Endpoint | null {
    return this.endpoints.metrics;
  }

  private get endpoints(): { api: Endpoint; p2p: Endpoint; metrics: Endpoint | null } {
    if (!this.bound) throw new Error('the daemon has not logged its ports yet');
    return this.bound;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isAlive(): boolean {
    return this.exitStatus === null;
  }

  /** Everything the daemon wrote to stdout (its JSON log lines when not on a TTY). */
  get output(): string {
    return this.stdout;
  }

  get errorOutput(): string {
    return this.stderr;
  }

  /** The parsed JSON log lines (pino writes JSON when stdout is not a terminal). */
  logLines(): Array<Record<string, unknown>> {
    const lines: Array<Record<string, unknown>> = [];
    for (const line of this.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // A line cut by the pipe while the process runs: not a log record yet.
      }
    }
    return lines;
  }

  /** The sum of one Prometheus series (all label sets matching `labels`); 0 when absent. */
  async metric(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
    if (!this.metrics) throw new Error('daemon started without withMetrics');
    const text = await httpGet(`http://${this.metrics.host}:${this.metrics.port}/metrics`);
    let sum = 0;
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const labelText = match[2] ?? '';
      if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`)))
        sum += Number(match[3]);
    }
    return sum;
  }

  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves with how the process ended. */
  async stop(): Promise<ExitStatus> {
    if (this.exitStatus === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.workDir, { recursive: true, force: true });
    return this.exitStatus!;
  }

  /** Resolves once the daemon logged LISTENING_MESSAGE (it has bound every port then). */
  private waitForListening(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const line = this.logLines().find((record) => record.msg === LISTENING_MESSAGE);
        if (line) {
          this.bound = {
            api: endpointOf(line.api),
            p2p: endpointOf(line.p2p),
            metrics: line.metrics === undefined ? null : endpointOf(line.metrics),
          };
          done();
          resolve();
        } else if (this.exitStatus !== null) {
          done();
          reject(
            new Error(
              `daemon exited (${JSON.stringify(this.exitStatus)}) before listening: ${this.stderr.trim() || this.stdout.trim()}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `daemon did not log "${LISTENING_MESSAGE}" within ${timeoutMs} ms: ${this.stderr.trim() || this.stdout.trim()}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.off('exit', check);
      };
      this.child.stdout?.on('data', check);
      this.child.on('exit', check);
      check();
    });
  }
}

/** `host:port` as the daemon logs it (an IPv6 host is not bracketed there). */
function endpointOf(text: unknown): Endpoint {
  const value = String(text);
  const colon = value.lastIndexOf(':');
  const port = Number(value.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port <= 0)
    throw new Error(`cannot read a bound address from ${JSON.stringify(text)}`);
  return { host: value.slice(0, colon), port };
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (text: string) => (body += text));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** For pacing (bench:api) and for tests that show something does NOT happen; never to synchronise. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
