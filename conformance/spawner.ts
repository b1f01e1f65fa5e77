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
  /** `--set-node I:key=value`: extra keys for node I only, winning over `set`. */
  readonly setNode?: Readonly<Record<number, Readonly<Record<string, string>>>>;
  /** RSA hostkey size (§5 asks for 4096; smaller keys start faster). */
  readonly hostkeyBits: number;
  readonly startupTimeoutMs: number;
  /** Working directory for the command (default: the current one). */
  readonly cwd?: string;
}

interface Running {
  child: ChildProcess;
  readonly logPath: string;
  readonly command: string;
  exited: boolean;
  exitCode: number | null;
  exitSignal: string | null;
  restarts: number;
}

/** One node's files and addresses, all fixed before the first node starts (nodes.json). */
export interface NodeFiles {
  readonly index: number;
  readonly api: string;
  readonly p2p: string;
  readonly config: string;
  readonly hostkey: string;
  /** The hostkey's public half (SPKI PEM), for implementations with pre-shared identities. */
  readonly publicKey: string;
  readonly log: string;
  readonly bootstrapper: string | null;
}

/** How a spawned node ended (or that it still runs), for the JSON report. */
export interface NodeStatus {
  readonly index: number;
  readonly running: boolean;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly restarts: number;
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

  /**
   * Writes every hostkey, config and nodes.json first (so that an implementation with
   * pre-shared identities can learn its peers), then starts node 0, waits for its API port,
   * then the others (which bootstrap from node 0).
   */
  async start(): Promise<void> {
    const count = this.options.nodes;
    const keys = await Promise.all(Array.from({ length: count }, () => this.makeHostkey()));
    const ports = await freePorts(2 * count);
    const files: NodeFiles[] = keys.map((_, index) => ({
      index,
      api: formatEndpoint({ host: HOST, port: ports[2 * index]! }),
      p2p: formatEndpoint({ host: HOST, port: ports[2 * index + 1]! }),
      config: join(this.workDir, `node-${index}.ini`),
      hostkey: join(this.workDir, `node-${index}.pem`),
      publicKey: join(this.workDir, `node-${index}.pub.pem`),
      log: join(this.workDir, `node-${index}.log`),
      bootstrapper: index === 0 ? null : formatEndpoint({ host: HOST, port: ports[1]! }),
    }));
    for (const [index, node] of files.entries()) {
      writeFileSync(node.hostkey, keys[index]!.privateKey, { mode: 0o600 });
      writeFileSync(node.publicKey, keys[index]!.publicKey);
    }
    writeFileSync(join(this.workDir, 'nodes.json'), `${JSON.stringify(files, null, 2)}\n`);
    for (const node of files) {
      const set = { ...this.options.set, ...(this.options.setNode?.[node.index] ?? {}) };
      const peers = files
        .filter((other) => other.index !== node.index)
        .map((other) => other.p2p)
        .join(',');
      const filled = Object.fromEntries(
        Object.entries(set).map(([key, value]) => [
          key,
          fillPlaceholders(value, { index: node.index, dir: this.workDir, peers }),
        ]),
      );
      writeFileSync(
        node.config,
        nodeConfig({
          hostkeyPath: node.hostkey,
          api: parseHostPort(node.api),
          p2p: parseHostPort(node.p2p),
          bootstrapper: node.bootstrapper ? parseHostPort(node.bootstrapper) : null,
          set: filled,
        }),
      );
    }
    this.files = files;
    this.nodes.push(await this.launch(files[0]!));
    this.nodes.push(...(await Promise.all(files.slice(1).map((node) => this.launch(node)))));
  }

  /** Every node's files and addresses (what nodes.json holds). */
  files: NodeFiles[] = [];

  /** Whether node `index`'s process has exited. */
  hasExited(index: number): boolean {
    return this.running[index]?.exited ?? false;
  }

  /** How each of the N nodes ended, or that it runs. */
  statuses(): NodeStatus[] {
    return this.running.slice(0, this.options.nodes).map((running, index) => ({
      index,
      running: !running.exited,
      exitCode: running.exitCode,
      signal: running.exitSignal,
      restarts: running.restarts,
    }));
  }

  /** Stops node `index` (if it still runs) and starts it again with the same config and ports. */
  async restart(index: number): Promise<void> {
    const running = this.running[index];
    const node = this.files[index];
    if (!running || !node) throw new Error(`node ${index} was not started by the suite`);
    await this.stopOne(running);
    // The command's shell may exit before the node it started lets go of its ports: wait
    // until the old API port refuses, so that the new node's port is not mistaken for it.
    const api = parseHostPort(node.api);
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline && (await canConnect(api)))
      await new Promise((resolve) => setTimeout(resolve, PORT_POLL_MS));
    const restarts = running.restarts + 1;
    const again = this.spawnCommand(running.command, running.logPath);
    again.restarts = restarts;
    this.running[index] = again;
    await this.waitForPort(api, again, index);
  }

  private async launch(node: NodeFiles): Promise<NodeInfo> {
    const command = this.options.command
      .replaceAll('{config}', shellQuote(node.config))
      .replaceAll('{index}', String(node.index))
      .replaceAll('{dir}', shellQuote(this.workDir));
    const running = this.spawnCommand(command, node.log);
    this.running[node.index] = running;
    const api = parseHostPort(node.api);
    await this.waitForPort(api, running, node.index);
    return { index: node.index, api, p2p: parseHostPort(node.p2p) };
  }

  private spawnCommand(command: string, logPath: string): Running {
    const log = openSync(logPath, 'a');
    // Own process group (detached) so that stopping kills the whole tree the command made.
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: this.options.cwd,
      detached: true,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const running: Running = { child, logPath, command, exited: false, exitCode: null, exitSignal: null, restarts: 0 };
    child.once('exit', (code, signal) => {
      running.exited = true;
      running.exitCode = code;
      running.exitSignal = signal;
    });
    return running;
  }

  /** One more node with `overrides` in its config (used by p2p cases where the suite must be dialed). */
  async spawnExtra(overrides: Record<string, string>): Promise<ExtraNode> {
    const index = this.options.nodes + this.extraCount++;
    const node = await this.startNode(index, (await this.makeHostkey()).privateKey, null, overrides);
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

  private async makeHostkey(): Promise<{ privateKey: string; publicKey: string }> {
    return generateKeyPairAsync('rsa', {
      modulusLength: this.options.hostkeyBits,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
  }

  private async startNode(
    index: number,
    hostkeyPem: string,
    bootstrapper: Endpoint | null,
    overrides: Record<string, string>,
  ): Promise<NodeInfo> {
    const [apiPort, p2pPort] = await freePorts(2);
    const api = { host: HOST, port: apiPort! };
    const p2p = { host: HOST, port: p2pPort! };
    const hostkeyPath = join(this.workDir, `node-${index}.pem`);
    writeFileSync(hostkeyPath, hostkeyPem, { mode: 0o600 });
    const configPath = join(this.workDir, `node-${index}.ini`);
    writeFileSync(
      configPath,
      nodeConfig({ hostkeyPath, api, p2p, bootstrapper, set: { ...this.options.set, ...overrides } }),
    );
    const logPath = join(this.workDir, `node-${index}.log`);
    const command = this.options.command
      .replaceAll('{config}', shellQuote(configPath))
      .replaceAll('{index}', String(index))
      .replaceAll('{dir}', shellQuote(this.workDir));
    const running = this.spawnCommand(command, logPath);
    this.running[index] = running;
    await this.waitForPort(api, running, index);
    return { index, api, p2p };
  }

  private async waitForPort(api: Endpoint, running: Running, index: number): Promise<void> {
    const deadline = Date.now() + this.options.startupTimeoutMs;
    while (Date.now() < deadline) {
      if (running.exited) {
        throw new Error(
          `node ${index} exited before opening its API port ${formatEndpoint(api)}; its log (${running.logPath}):\n${this.logTail(index)}`,
        );
      }
      if (await canConnect(api)) return;
      await new Promise((resolve) => setTimeout(resolve, PORT_POLL_MS));
    }
    throw new Error(
      `node ${index} did not open its API port ${formatEndpoint(api)} within ${this.options.startupTimeoutMs} ms; its log (${running.logPath}):\n${this.logTail(index)}`,
    );
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
    throw new Error(
      `--spawn command must contain {config} (where the config path goes), got ${JSON.stringify(options.command)}`,
    );
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

/** `{index}`, `{dir}` and `{peers}` (the other nodes' P2P addresses, comma-separated) in a --set value. */
export function fillPlaceholders(value: string, fill: { index: number; dir: string; peers: string }): string {
  return value
    .replaceAll('{index}', String(fill.index))
    .replaceAll('{dir}', fill.dir)
    .replaceAll('{peers}', fill.peers);
}

function parseHostPort(text: string): Endpoint {
  const colon = text.lastIndexOf(':');
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
}

/** `count` distinct free TCP ports on the loopback host. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
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
