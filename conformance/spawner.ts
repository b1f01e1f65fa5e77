/**
 * Starts N instances of ANY Gossip implementation for the suite (`--spawn 'CMD {config}'`) from
 * the files node-files.ts writes (node 0 first, the others bootstrapping from it): each in its
 * own process group, waiting for its API port, and stops every process it started, also when
 * the run fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatEndpoint, type Endpoint } from '../runtime/entry/client.js';
import { makeHostkey, parseHostPort, writeExtraNodeFiles, writeNodeFiles, type NodeFiles } from './node-files.js';
import type { ExtraNode, NodeInfo } from './types.js';

// Where the rest of the suite and its tests have always found them.
export { fillPlaceholders, freePorts, nodeConfig, type NodeFiles } from './node-files.js';

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
  /** Set by stop(): a restart still under way then starts nothing that stop() would miss. */
  private isStopping = false;

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
    const files = await writeNodeFiles(this.options, this.workDir);
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
    // The health check may see a node die of our own SIGTERM and restart it (Ctrl-C mid-run).
    if (this.isStopping) throw new Error('the suite is stopping its nodes');
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
    const node = await this.startNode(index, (await makeHostkey(this.options.hostkeyBits)).privateKey, null, overrides);
    const running = this.running[this.running.length - 1]!;
    return { ...node, stop: () => this.stopOne(running) };
  }

  /** Stops every process started: SIGTERM, then SIGKILL after STOP_GRACE_MS. */
  async stop(): Promise<void> {
    this.isStopping = true;
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

  private async startNode(
    index: number,
    hostkeyPem: string,
    bootstrapper: Endpoint | null,
    overrides: Record<string, string>,
  ): Promise<NodeInfo> {
    const { api, p2p, configPath, logPath } = await writeExtraNodeFiles(this.workDir, index, hostkeyPem, bootstrapper, {
      ...this.options.set,
      ...overrides,
    });
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
