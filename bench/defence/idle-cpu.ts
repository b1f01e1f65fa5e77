/**
 * docs/protocol.md §4.5 target: an idle network of 2, 3 and 5 nodes at difficulty 24 uses
 * under 1 % CPU per node once formed. Starts one network of each size (separate processes,
 * default settings but for the addresses), waits until every node holds as many links as the
 * network allows, then measures each process's CPU time over the window.
 *
 *   npx tsx bench/defence/idle-cpu.ts [--minutes 5] [--sizes 2,3,5] [--difficulty 24]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sleep, waitFor } from '../../test/support/network.js';
import { activeLinksOf, cpuSecondsOf, launchDaemon, stopDaemon, type DaemonProcess } from './daemons.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '2,3,5' },
    difficulty: { type: 'string', default: '24' },
  },
});
const windowMs = Number(values.minutes) * 60_000;
const sizes = values.sizes.split(',').map(Number);
const directory = mkdtempSync(join(tmpdir(), 'bench-idle-'));
const networks: DaemonProcess[][] = [];
process.once('exit', () => networks.flat().forEach((d) => d.exited || d.process.kill('SIGKILL')));

try {
  for (const [n, size] of sizes.entries()) {
    const nodes: DaemonProcess[] = [];
    for (let index = 0; index < size; index++) {
      nodes.push(launchDaemon(directory, 40 + n, index, { pow_difficulty: values.difficulty }));
      if (index === 0)
        await waitFor('node 0 to serve metrics', async () => (await activeLinksOf(nodes[0]!)) !== null, 20_000);
    }
    networks.push(nodes);
  }
  // Formed: every node linked to every other (each network is smaller than the default degree).
  const formedMs = await waitFor(
    'every network to form',
    async () => (await Promise.all(networks.flat().map(activeLinksOf))).every((links, i) => links === sizeOf(i) - 1),
    180_000,
  );
  console.log(
    `formed after ${(formedMs / 1000).toFixed(1)} s; measuring ${values.minutes} min at difficulty ${values.difficulty}`,
  );
  const before = networks.map((nodes) => nodes.map(cpuSecondsOf));
  const started = Date.now();
  await sleep(windowMs);
  const seconds = (Date.now() - started) / 1000;
  for (const [n, nodes] of networks.entries()) {
    const percents = nodes.map((d, i) => ((cpuSecondsOf(d) - before[n]![i]!) / seconds) * 100);
    const links = await Promise.all(nodes.map(activeLinksOf));
    console.log(
      `${nodes.length} nodes: CPU per node ${percents.map((p) => `${p.toFixed(2)} %`).join(', ')} (links ${links.join(', ')})`,
    );
  }
} finally {
  await Promise.all(networks.flat().map(stopDaemon));
  rmSync(directory, { recursive: true, force: true });
}

function sizeOf(flatIndex: number): number {
  let rest = flatIndex;
  for (const nodes of networks) {
    if (rest < nodes.length) return nodes.length;
    rest -= nodes.length;
  }
  return 0;
}
