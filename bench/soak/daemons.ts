/**
 * The daemons of bench:soak, as separate processes started the way a user starts one
 * (`node bin/gossip.js daemon -c FILE`), on 127.0.2.(i+1) with fixed ports (bench:net uses
 * 127.0.1.x, the tests 127.0.0.x). Default settings except what a bench on one machine
 * needs: a low proof-of-work difficulty and no rotation. RSS is read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePrometheus } from '../net/process-cluster.js';
import { sleep } from '../../test/support/network.js';

const GOSSIP_BIN = fileURLToPath(new URL('../../bin/gossip.js', import.meta.url));
const P2P_PORT = 26_101;
const API_PORT = 27_101;
const METRICS_PORT = 28_101;

/** Loopback subnet of the soak's daemons; another one lets two runs coexist. */
let subnet = '127.0.2';
export const hostOf = (index: number): string => `${subnet}.${index + 1}`;

export interface SoakDaemon {
  readonly index: number;
  readonly api: { host: string; port: number };
  readonly process: ChildProcess;
  stderr: string;
  exited: boolean;
}

export interface SoakCluster {
  readonly daemons: readonly SoakDaemon[];
  close(): Promise<void>;
}

/**
 * @param settings extra `key = value` lines for every node's [gossip] section (a later line
 *   of a key wins), e.g. `dissemination = tree`
 */
export async function startSoakCluster(
  nodes: number,
  degree: number,
  onSubnet = '127.0.2',
  settings: readonly string[] = [],
): Promise<SoakCluster> {
  subnet = onSubnet;
  const directory = mkdtempSync(join(tmpdir(), 'bench-soak-'));
  const daemons: SoakDaemon[] = [];
  const killAll = (): void => {
    for (const daemon of daemons) if (!daemon.exited) daemon.process.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (let index = 0; index < nodes; index++) {
    const file = join(directory, `node-${index}.ini`);
    writeFileSync(file, iniFor(index, degree, settings));
    const child = spawn(process.execPath, [GOSSIP_BIN, 'daemon', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    const daemon: SoakDaemon = {
      index,
      api: { host: hostOf(index), port: API_PORT },
      process: child,
      stderr: '',
      exited: false,
    };
    child.stderr?.on('data', (chunk: Buffer) => (daemon.stderr = (daemon.stderr + chunk.toString()).slice(-4_000)));
    child.once('exit', () => (daemon.exited = true));
    daemons.push(daemon);
    await waitUntilServing(daemon);
  }
  return {
    daemons,
    async close() {
      for (const daemon of daemons) {
        if (daemon.exited) continue;
        daemon.process.kill('SIGCONT');
        daemon.process.kill('SIGTERM');
      }
      for (let waited = 0; waited < 3_000 && daemons.some((d) => !d.exited); waited += 50) await sleep(50);
      killAll();
      process.removeListener('exit', killAll);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

function iniFor(index: number, degree: number, settings: readonly string[]): string {
  return [
    '[gossip]',
    'cache_size = 50',
    `degree = ${degree}`,
    `max_peers = ${2 * degree}`,
    index === 0 ? '' : `bootstrapper = ${hostOf(0)}:${P2P_PORT}`,
    `p2p_address = ${hostOf(index)}:${P2P_PORT}`,
    `api_address = ${hostOf(index)}:${API_PORT}`,
    `metrics_address = ${hostOf(index)}:${METRICS_PORT}`,
    'pow_difficulty = 8',
    'verification_timeout = 30',
    'rejoin_interval = 0',
    'log_level = warn',
    ...settings,
    '',
  ].join('\n');
}

async function waitUntilServing(daemon: SoakDaemon): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    if (daemon.exited) throw new Error(`daemon ${daemon.index} exited: ${daemon.stderr.trim()}`);
    try {
      await metricsOf(daemon.index);
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`daemon ${daemon.index} did not start`);
}

/** Node i's metrics as samples (name, labels, value). */
export async function metricsOf(index: number): Promise<ReturnType<typeof parsePrometheus>> {
  const response = await fetch(`http://${hostOf(index)}:${METRICS_PORT}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`metrics of node ${index}: HTTP ${response.status}`);
  return parsePrometheus(await response.text());
}

/** Sum of a metric's samples whose labels include `labels`. */
export function sumOf(
  samples: ReturnType<typeof parsePrometheus>,
  name: string,
  labels: Record<string, string> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** Resident set size of a process in bytes (Linux /proc), or 0 once it is gone. */
export function rssOf(pid: number | undefined): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
