/**
 * Starts N instances of ANY Gossip implementation for the suite (`--spawn 'CMD {config}'`):
 * writes one INI config per node (docs/protocol.md §5: node 0 without bootstrapper, the others
 * bootstrapping from it, free loopback ports, `--set` keys passed through), starts each in
 * its own process group, waits for its API port, and stops every process it started, also
 * when the run fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPair } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatEndpoint, type Endpoint } from '../runtime/api/api-client.js';
import type { ExtraNode, NodeInfo } from './types.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Loopback host every spawned node listens on (tests stay on 127.0.0.0/8). */
const HOST = '127.0.0.1';
/** How often a starting node's API port is probed. */
const PORT_POLL_MS = 100;
/** After SIGTERM, how long a node may take to exit before SIGKILL. */
const STOP_GRACE_MS = 3_000;

export interface SpawnOptions {
  /** Shell command; `{config}` becomes the config path, `{index}` the node number. */
  readonly command: string;
  readonly nodes: number;
  /** Extra keys: `key` goes to [gossip], `section.key` to [section]; they win over ours. */
  readonly set: Readonly<Record<string, string>>;
  /** RSA hostkey size (§5 asks for 4096; smaller keys start faster). */
  readonly hostkeyBits: number;
  readonly startupTimeoutMs: number;
  /** Working directory for the command (default: the current one). */
  readonly cwd?: string;
}

interface Running {
  readonly child: ChildProcess;
  readonly logPath: string;
  exited: boolean;
}

export class Cluster {
  readonly nodes: NodeInfo[] = [];
  private readonly running: Running[] = [];
  private extraCount = 0;
  private readonly killOnExit = (): void => this.killAll('SIGKILL');

  constructor(
    private readonly options: SpawnOptions,
    /** Directory holding configs, hostkeys and each node's log. */
    readonly workDir: string,
  ) {
    process.once('exit', this.killOnExit);
  }

  /** Starts node 0, waits for it, then the others (which bootstrap from node 0). */
  async start(): Promise<void> {
    const keys = await Promise.all(Array.from({ length: this.options.nodes }, () => this.makeHostkey()));
    const first = await this.startNode(0, keys[0]!, null, {});
    this.nodes.push(first);
    const others = await Promise.all(
      keys.slice(1).map((key, offset) => this.startNode(offset + 1, key, first.p2p, {})),
    );
    this.nodes.push(...others);
  }

  /** One more node with `overrides` in its config (used by p2p cases where the suite must be dialed). */
  async spawnExtra(overrides: Record<string, string>): Promise<ExtraNode> {
    const index = this.options.nodes + this.extraCount++;
    const node = await this.startNode(index, await this.makeHostkey(), null, overrides);
    const running = this.running[this.running.length - 1]!;
    return { ...node, stop: () => this.stopOne(running) };
  }

  /** Stops every process started: SIGTERM, then SIGKILL after STOP_GRACE_MS. */
  async stop(): Promise<void> {
    await Promise.all(this.running.map((running) => this.stopOne(running)));
    process.off('exit', this.killOnExit);
  }

  /** The last lines of node `index`'s log (for error messages). */
  logTail(index: number, lines = 15): string {
    const running = this.running[index];
    if (!running) return '';
    try {
      return readFileSync(running.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private async makeHostkey(): Promise<string> {
    const { privateKey } = await generateKeyPairAsync('rsa', {
      modulusLength: this.options.hostkeyBits,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    return privateKey;
  }

  private async startNode(index: number, hostkeyPem: string, bootstrapper: Endpoint | null, overrides: Record<string, string>): Promise<NodeInfo> {
    const [apiPort, p2pPort] = await freePorts(2);
    const api = { host: HOST, port: apiPort! };
    const p2p = { host: HOST, port: p2pPort! };
    const hostkeyPath = join(this.workDir, `node-${index}.pem`);
    writeFileSync(hostkeyPath, hostkeyPem, { mode: 0o600 });
    const configPath = join(this.workDir, `node-${index}.ini`);
    writeFileSync(configPath, nodeConfig({ hostkeyPath, api, p2p, bootstrapper, set: { ...this.options.set, ...overrides } }));
    const logPath = join(this.workDir, `node-${index}.log`);
    const log = openSync(logPath, 'a');
    const command = this.options.command.replaceAll('{config}', shellQuote(configPath)).replaceAll('{index}', String(index));
    // Own process group (detached) so that stopping kills the whole tree the command made.
    const child = spawn('/bin/sh', ['-c', command], { cwd: this.options.cwd, detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    const running: Running = { child, logPath, exited: false };
    child.once('exit', () => {
      running.exited = true;
    });
    this.running[index] = running;
    await this.waitForPort(api, running, index);
    return { index, api, p2p };
  }

  private async waitForPort(api: Endpoint, running: Running, index: number): Promise<void> {
    const deadline = Date.now() + this.options.startupTimeoutMs;
    while (Date.now() < deadline) {
      if (running.exited) {
        throw new Error(`node ${index} exited before opening its API port ${formatEndpoint(api)}; its log (${running.logPath}):\n${this.logTail(index)}`);
      }
      if (await canConnect(api)) return;
      await new Promise((resolve) => setTimeout(resolve, PORT_POLL_MS));
    }
    throw new Error(`node ${index} did not open its API port ${formatEndpoint(api)} within ${this.options.startupTimeoutMs} ms; its log (${running.logPath}):\n${this.logTail(index)}`);
  }

  private stopOne(running: Running): Promise<void> {
    if (running.exited || running.child.pid === undefined) return Promise.resolve();
    const pid = running.child.pid;
    return new Promise((resolve) => {
      const killer = setTimeout(() => signalGroup(pid, 'SIGKILL'), STOP_GRACE_MS);
      running.child.once('exit', () => {
        clearTimeout(killer);
        signalGroup(pid, 'SIGKILL'); // anything the command left behind in its group
        resolve();
      });
      signalGroup(pid, 'SIGTERM');
    });
  }

  /** SIGKILL to every node still running, at once (a second Ctrl-C). */
  killNow(): void {
    this.killAll('SIGKILL');
  }

  private killAll(signal: NodeJS.Signals): void {
    for (const running of this.running) {
      if (running && !running.exited && running.child.pid !== undefined) signalGroup(running.child.pid, signal);
    }
  }
}

export async function spawnCluster(options: SpawnOptions): Promise<Cluster> {
  if (!options.command.includes('{config}')) {
    throw new Error(`--spawn command must contain {config} (where the config path goes), got ${JSON.stringify(options.command)}`);
  }
  const cluster = new Cluster(options, mkdtempSync(join(tmpdir(), 'gossip-conformance-')));
  try {
    await cluster.start();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/**
 * The INI text of one node (§5). `degree = 1` makes the others link only to node 0 (a
 * star), so a two-hop path 1 → 0 → 2 exists for the validation and ttl cases.
 */
export function nodeConfig(input: {
  hostkeyPath: string;
  api: Endpoint;
  p2p: Endpoint;
  bootstrapper: Endpoint | null;
  set: Readonly<Record<string, string>>;
}): string {
  const gossip: Record<string, string> = {
    cache_size: '50',
    degree: '1',
    p2p_address: formatEndpoint(input.p2p),
    api_address: formatEndpoint(input.api),
  };
  if (input.bootstrapper) gossip.bootstrapper = formatEndpoint(input.bootstrapper);
  const sections: Record<string, Record<string, string>> = { gossip };
  for (const [key, value] of Object.entries(input.set)) {
    const dot = key.indexOf('.');
    const [section, name] = dot > 0 ? [key.slice(0, dot), key.slice(dot + 1)] : ['gossip', key];
    (sections[section] ??= {})[name] = value;
  }
  const lines = [`; written by gossip conformance`, `hostkey = ${input.hostkeyPath}`, ''];
  for (const [section, values] of Object.entries(sections)) {
    lines.push(`[${section}]`, ...Object.entries(values).map(([key, value]) => `${key} = ${value}`), '');
  }
  return lines.join('\n');
}

/** `count` distinct free TCP ports on the loopback host. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<net.Server>((resolve, reject) => {
        const server = net.createServer();
        server.once('error', reject);
        server.listen(0, HOST, () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function canConnect(endpoint: Endpoint): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(endpoint.port, endpoint.host);
    const done = (isOpen: boolean): void => {
      socket.destroy();
      resolve(isOpen);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
