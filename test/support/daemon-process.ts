/**
 * Starts the daemon the way a user does: writes an INI config (docs/protocol.md §5) to a temporary
 * directory, spawns `node bin/gossip.js daemon -c <file>`, waits until the API port accepts
 * connections, and stops the process at the end (SIGTERM, then SIGKILL). Used by the
 * black-box API tests and by bench:api. Everything the process prints is kept, so a test can
 * check that nothing was thrown out of the event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from '../../runtime/api/api-client.js';

/** The repository root: bin/gossip.js is resolved from here. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Every spawned daemon listens on loopback only (tests stay on 127.0.0.0/8). */
const HOST = '127.0.0.1';
/** How often the API port is probed while the daemon starts. */
const PORT_POLL_MS = 50;
/** tsx compiles the daemon on start: a few seconds on a busy 2-core machine. */
const DEFAULT_STARTUP_TIMEOUT_MS = 15_000;
/** After SIGTERM the daemon must close within 2 s; SIGKILL after this. */
const STOP_GRACE_MS = 3_000;

export interface DaemonProcessOptions {
  /** Keys of the [gossip] section; they win over the test defaults below. */
  readonly gossip?: Readonly<Record<string, string | number>>;
  /** Serve Prometheus metrics on a free loopback port (the `metrics_address` key). */
  readonly withMetrics?: boolean;
  /** Raw INI text appended to the file (other modules' sections, …). */
  readonly extraIni?: string;
  readonly startupTimeoutMs?: number;
  /** Options for node itself, before bin/gossip.js (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
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

  private constructor(
    private readonly child: ChildProcess,
    readonly configPath: string,
    private readonly workDir: string,
    readonly api: Endpoint,
    readonly p2p: Endpoint,
    readonly metrics: Endpoint | null,
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

  /** Writes the config, spawns the daemon and resolves once its API port accepts connections. */
  static async start(options: DaemonProcessOptions = {}): Promise<DaemonProcess> {
    const [apiPort, p2pPort, metricsPort] = await freePorts(3);
    const api = { host: HOST, port: apiPort! };
    const p2p = { host: HOST, port: p2pPort! };
    const metrics = options.withMetrics ? { host: HOST, port: metricsPort! } : null;
    const keys: Record<string, string | number> = {
      ...TEST_GOSSIP_KEYS,
      api_address: `${HOST}:${api.port}`,
      p2p_address: `${HOST}:${p2p.port}`,
      ...(metrics ? { metrics_address: `${HOST}:${metrics.port}` } : {}),
      ...options.gossip,
    };
    const workDir = mkdtempSync(join(tmpdir(), 'gossip-daemon-'));
    const configPath = join(workDir, 'config.ini');
    const ini = ['[gossip]', ...Object.entries(keys).map(([key, value]) => `${key} = ${value}`), options.extraIni ?? ''];
    writeFileSync(configPath, `${ini.join('\n')}\n`);
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), 'bin/gossip.js', 'daemon', '-c', configPath], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemon = new DaemonProcess(child, configPath, workDir, api, p2p, metrics);
    // The ports were free a moment ago; another process may have taken one since. At info
    // level and below the daemon logs where it listens: wait for that, not for any listener.
    const logsListening = ['trace', 'debug', 'info'].includes(String(keys.log_level));
    try {
      await daemon.waitForApi(options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS, logsListening);
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
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
      if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) sum += Number(match[3]);
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

  private async waitForApi(timeoutMs: number, logsListening: boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const listening = `"api":"${this.api.host}:${this.api.port}"`;
    while (Date.now() < deadline) {
      if (this.exitStatus !== null) {
        throw new Error(`daemon exited (${JSON.stringify(this.exitStatus)}) before listening: ${this.stderr.trim() || this.stdout.trim()}`);
      }
      const saysListening = !logsListening || this.stdout.includes(listening);
      if (saysListening && (await canConnect(this.api))) return;
      await sleep(PORT_POLL_MS);
    }
    throw new Error(`daemon API ${this.api.host}:${this.api.port} not accepting connections after ${timeoutMs} ms`);
  }
}

/** Ports the kernel hands out for port 0, released again for the daemon to take. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, HOST, () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

function canConnect(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(endpoint.port, endpoint.host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
