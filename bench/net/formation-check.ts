/**
 * Does a loopback overlay form connected? Starts N in-process daemons (everyone
 * bootstrapping from node 0, rotation off, as bench:net does) several times, waits until
 * the link counts settle, and prints whether the overlay is one connected graph, the
 * component sizes, how long settling took, and why links were closed on the way.
 *
 *   npx tsx bench/net/formation-check.ts [nodes=50] [degree=4] [runs=5]
 */
import type { Daemon } from '../../runtime/daemon.js';
import { sleep, startNetwork } from '../../test/support/network.js';
import { BENCH_NODE_SETTINGS } from './cluster.js';

const [nodes, degree, runs] = [2, 3, 4].map((i, k) => Number(process.argv[i] ?? [50, 4, 5][k]));
if (![nodes, degree, runs].every((n) => Number.isInteger(n) && n! > 0)) {
  process.stderr.write('usage: formation-check.ts [nodes] [degree] [runs], positive integers\n');
  process.exit(2);
}

/** Sizes of the connected components of the overlay (over active links), largest first. */
function componentSizes(daemons: Daemon[]): number[] {
  const indexOf = new Map(daemons.map((d, i) => [`${d.p2p.address}:${d.p2p.port}`, i]));
  const neighbours = daemons.map((d) =>
    d.overlay.activeLinks.flatMap((link) => {
      const index = link.listenAddress
        ? indexOf.get(`${link.listenAddress.host}:${link.listenAddress.port}`)
        : undefined;
      return index === undefined ? [] : [index];
    }),
  );
  const seen = new Set<number>();
  const sizes: number[] = [];
  for (let start = 0; start < daemons.length; start++) {
    if (seen.has(start)) continue;
    const frontier = [start];
    seen.add(start);
    let size = 0;
    while (frontier.length > 0) {
      size++;
      for (const next of neighbours[frontier.pop()!]!) {
        if (!seen.has(next)) {
          seen.add(next);
          frontier.push(next);
        }
      }
    }
    sizes.push(size);
  }
  return sizes.sort((a, b) => b - a);
}

for (let run = 1; run <= runs!; run++) {
  const network = await startNetwork({
    nodes: nodes!,
    config: { ...BENCH_NODE_SETTINGS, degree: degree!, powDifficulty: 6 },
  });
  const daemons = network.daemons.filter((d): d is Daemon => d !== null);
  const started = Date.now();
  let previous = '';
  let sameSince = Date.now();
  while (Date.now() - started < 30_000) {
    const counts = daemons.map((d) => d.overlay.activeLinks.length);
    if (counts.join() !== previous) [previous, sameSince] = [counts.join(), Date.now()];
    else if (Date.now() - sameSince > 1_500 && counts.every((c) => c >= degree!)) break;
    await sleep(100);
  }
  const closedBy = new Map<string, number>();
  for (const daemon of daemons) {
    for (const entry of (await daemon.metrics.linksClosed.get()).values) {
      const reason = String(entry.labels.reason);
      closedBy.set(reason, (closedBy.get(reason) ?? 0) + entry.value);
    }
  }
  const closes = [...closedBy]
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${count} ${reason}`)
    .join(', ');
  const sizes = componentSizes(daemons);
  process.stdout.write(
    `N=${nodes} degree=${degree} run ${run}: settled after ${Date.now() - started} ms, ` +
      `${sizes.length === 1 ? 'connected' : `PARTITIONED into components of ${sizes.join(', ')}`}, links closed: ${closes || 'none'}\n`,
  );
  await network.close();
}
process.exit(0);
