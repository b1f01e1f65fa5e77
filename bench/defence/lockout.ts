/**
 * docs/protocol.md §4.2 item 7 target: with 2,000 idle connections from one address held open
 * against a node, an honest newcomer from another address joins in at most twice its normal
 * join time. Target and newcomer are separate processes (`node bin/gossip.js daemon`); the
 * idle sockets come from this process, from 127.0.64.1, re-opened as soon as the node closes
 * them (it keeps max_handshakes_per_address of them).
 *
 *   npx tsx bench/defence/lockout.ts [--runs 3] [--sockets 2000] [--difficulty 24]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { waitFor } from '../../test/support/network.js';
import { activeLinksOf, launchDaemon, P2P_PORT, stopDaemon } from './daemons.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    sockets: { type: 'string', default: '2000' },
    difficulty: { type: 'string', default: '24' },
  },
});
const SUBNET = 63;
const directory = mkdtempSync(join(tmpdir(), 'bench-lockout-'));
const keys = { pow_difficulty: values.difficulty, degree: 4 };

/** Holds `count` idle sockets from `from` against the target, re-opening each one that closes. */
function idleSockets(count: number, from: string, port: number): { stop(): void; attempts(): number } {
  let isStopped = false;
  let attempts = 0;
  const sockets = new Set<net.Socket>();
  const open = (): void => {
    if (isStopped) return;
    attempts++;
    const socket = net.connect({ host: `127.0.${SUBNET}.1`, port, localAddress: from });
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      setTimeout(open, 1);
    });
  };
  for (let i = 0; i < count; i++) open();
  return {
    stop() {
      isStopped = true;
      for (const socket of sockets) socket.destroy();
    },
    attempts: () => attempts,
  };
}

async function joinTime(run: number): Promise<number> {
  const started = Date.now();
  const newcomer = launchDaemon(directory, SUBNET, 1, keys);
  try {
    await waitFor(`newcomer ${run} to join`, async () => ((await activeLinksOf(newcomer)) ?? 0) >= 1, 120_000);
    return Date.now() - started;
  } finally {
    await stopDaemon(newcomer);
  }
}

const target = launchDaemon(directory, SUBNET, 0, keys);
try {
  await waitFor('the target to serve metrics', async () => (await activeLinksOf(target)) !== null, 20_000);
  const runs = Number(values.runs);
  const normal: number[] = [];
  for (let run = 0; run < runs; run++) normal.push(await joinTime(run));
  const attack = idleSockets(Number(values.sockets), '127.0.64.1', P2P_PORT);
  const attacked: number[] = [];
  try {
    for (let run = 0; run < runs; run++) attacked.push(await joinTime(run));
  } finally {
    attack.stop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`join time (newcomer process start to an active link), difficulty ${values.difficulty}:`);
  console.log(
    `  normal:                        ${normal.map((ms) => `${ms} ms`).join(', ')} (median ${median(normal)} ms)`,
  );
  console.log(
    `  ${values.sockets} idle sockets from one address: ${attacked.map((ms) => `${ms} ms`).join(', ')} (median ${median(attacked)} ms; ${attack.attempts()} connection attempts)`,
  );
  console.log(`  ratio of medians: ${(median(attacked) / median(normal)).toFixed(2)} (target ≤ 2)`);
} finally {
  await stopDaemon(target);
  rmSync(directory, { recursive: true, force: true });
}
