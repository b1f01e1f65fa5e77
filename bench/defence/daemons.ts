/**
 * Daemons as separate processes (`node bin/gossip.js daemon -c FILE`) for the defence
 * benchmarks: one small network per call, on its own 127.0.x.0/24, fixed ports, CPU time read
 * from /proc/<pid>/stat (Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep } from '../../test/support/network.js';

const GOSSIP_BIN = fileURLToPath(new URL('../../bin/gossip.js', import.meta.url));
export const P2P_PORT = 26_501;
export const API_PORT = 27_501;
export const METRICS_PORT = 28_501;
const CLOCK_TICKS_PER_SECOND = 100;

export interface DaemonProcess {
  readonly host: string;
  readonly process: ChildProcess;
  exited: boolean;
  stderr: string;
}

/** Starts node `index` of the network on 127.0.`subnet`.(index+1); node 0 bootstraps nobody. */
export function launchDaemon(
  directory: string,
  subnet: number,
  index: number,
  keys: Record<string, string | number>,
): DaemonProcess {
  const host = `127.0.${subnet}.${index + 1}`;
  const lines = [
    '[gossip]',
    'cache_size = 100',
    `degree = ${keys.degree ?? 8}`,
    `p2p_address = ${host}:${P2P_PORT}`,
    `api_address = ${host}:${API_PORT}`,
    `metrics_address = ${host}:${METRICS_PORT}`,
    index === 0 ? '' : `bootstrapper = 127.0.${subnet}.1:${P2P_PORT}`,
    'log_level = warn',
    ...Object.entries(keys)
      .filter(([key]) => key !== 'degree')
      .map(([key, value]) => `${key} = ${value}`),
    '',
  ];
  const file = join(directory, `net${subnet}-node${index}.ini`);
  writeFileSync(file, lines.join('\n'));
  const spawned = spawn(process.execPath, [GOSSIP_BIN, 'daemon', '-c', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  const daemon: DaemonProcess = { host, process: spawned, exited: false, stderr: '' };
  spawned.stderr?.on(
    'data',
    (chunk: Buffer) => void (daemon.stderr = (daemon.stderr + chunk.toString()).slice(-4_000)),
  );
  spawned.once('exit', () => void (daemon.exited = true));
  return daemon;
}

/** The daemon's active links, from its Prometheus endpoint; null while it does not answer. */
export async function activeLinksOf(daemon: DaemonProcess): Promise<number | null> {
  if (daemon.exited) throw new Error(`daemon ${daemon.host} exited: ${daemon.stderr.trim().split('\n').at(-1) ?? ''}`);
  try {
    const text = await (await fetch(`http://${daemon.host}:${METRICS_PORT}/metrics`)).text();
    const match = /^gossip_peers\{state="active"\}\s+(\S+)/m.exec(text);
    return match ? Number(match[1]) : 0;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) the process used so far. */
export function cpuSecondsOf(daemon: DaemonProcess): number {
  const stat = readFileSync(`/proc/${daemon.process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export async function stopDaemon(daemon: DaemonProcess): Promise<void> {
  if (daemon.exited) return;
  daemon.process.kill('SIGTERM');
  const deadline = Date.now() + 3_000;
  while (!daemon.exited && Date.now() < deadline) await sleep(50);
  if (!daemon.exited) daemon.process.kill('SIGKILL');
}
