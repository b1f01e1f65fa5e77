/** bench:net cost output: the table and the lines computed from it (docs/net-bench.md, Results: cost). */
import type { CostRow } from './cost.js';
import { table } from './report.js';
import { leastSquares, mean } from './stats.js';

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

export function costTable(rows: readonly CostRow[]): string {
  const nodes = rows[0]?.nodes ?? 0;
  return table(
    [
      'item size',
      'mode',
      'degree',
      'links/node',
      'copies/node/item',
      `daemon CPU ms/item (${nodes} nodes)`,
      'bench CPU ms/item',
      'P2P frames/item (not ANNOUNCE)',
      'delivery',
      'last p99 ms',
      'announced items/s',
      'eager links per node',
      'drops',
      'load avg',
    ],
    rows.map((r) => [
      `${r.payloadBytes} B`,
      r.variant,
      String(r.degree),
      fixed(r.linksPerNode, 1),
      fixed(r.copiesPerNodeItem),
      fixed(r.daemonCpuMsPerItem),
      fixed(r.benchCpuMsPerItem),
      `${fixed(r.p2pFramesPerItem, 1)} (${fixed(r.controlFramesPerItem, 1)})`,
      `${(r.deliveryRatio * 100).toFixed(2)} %${r.warmUpReach < r.nodes ? ` (PARTITIONED: warm-up reached ${r.warmUpReach}/${r.nodes})` : ''}`,
      fixed(r.lastP99, 1),
      r.achievedRate.toFixed(0),
      r.variant === 'tree' && r.eagerLinks ? r.eagerLinks.join(' ') : '–',
      String(r.drops),
      fixed(r.loadAverage, 1),
    ]),
  );
}

/**
 * Per item size: the flood rows' daemon CPU per item against copies per node per item as a
 * least-squares line, what it predicts for a tree that only delivers (one copy per node but
 * the announcing one), and the tree rows measured against flooding at its highest degree.
 * Rows that were not at a steady state (lost or dropped items, a late bench, a last-delivery
 * p99 over the saturation scenario's bound) are named first.
 */
export function costLines(rows: readonly CostRow[], p99BoundMs: number): string[] {
  const lines: string[] = [];
  const strained = rows.flatMap((r) => {
    const why = [
      r.warmUpReach < r.nodes ? 'partitioned' : '',
      r.deliveryRatio < 1 ? 'items lost' : '',
      r.drops > 0 ? `${r.drops} drops` : '',
      r.achievedRate < 0.95 * r.rate ? 'the bench announced < 95 % of the rate' : '',
      !(r.lastP99 <= p99BoundMs) ? `last p99 over ${p99BoundMs} ms` : '',
    ].filter(Boolean);
    return why.length === 0 ? [] : [`${r.payloadBytes} B ${r.variant} degree ${r.degree} (${why.join(', ')})`];
  });
  if (strained.length > 0)
    lines.push(
      `NOT at a steady state, so their CPU per item includes overload (queues, pulls, repair): ${strained.join('; ')}`,
    );
  for (const size of [...new Set(rows.map((r) => r.payloadBytes))]) {
    const ofSize = rows.filter((r) => r.payloadBytes === size);
    const flood = ofSize.filter((r) => r.variant === 'flood').sort((a, b) => a.degree - b.degree);
    const top = flood.at(-1);
    const fit = leastSquares(flood.map((r) => [r.copiesPerNodeItem, r.daemonCpuMsPerItem] as const));
    if (fit === null || top === undefined) {
      lines.push(`${size} B: fewer than two flood rows with different copies per node per item: no line fitted`);
    } else {
      const { nodes } = top;
      const line = (copies: number): number => fit.intercept + fit.slope * copies;
      const residual = Math.max(...flood.map((r) => Math.abs(r.daemonCpuMsPerItem - line(r.copiesPerNodeItem))));
      lines.push(
        `${size} B, flooding at degrees ${flood.map((r) => r.degree).join(', ')}: daemon CPU ms/item ≈ ` +
          `${fixed(fit.intercept)} ${fit.slope < 0 ? '−' : '+'} ${fixed(Math.abs(fit.slope), 3)} × copies/node/item (least squares, largest residual ` +
          `${fixed(residual)} ms): each item costs the ${nodes} nodes ${fixed(fit.intercept)} ms however many copies ` +
          `they receive (${fixed(fit.intercept / nodes, 3)} ms per node), and each copy a node receives ` +
          `${fixed(fit.slope / nodes, 4)} ms (its sending included)`,
      );
      const copies = (nodes - 1) / nodes;
      const predicted = line(copies);
      const bench = top.benchCpuMsPerItem;
      lines.push(
        `${size} B, a tree without bookkeeping (every node but the announcing one receives one copy: ` +
          `${fixed(copies)} copies/node/item): the line predicts ${fixed(predicted)} ms/item, ` +
          `${fixed(predicted / top.daemonCpuMsPerItem)} × flooding's ${fixed(top.daemonCpuMsPerItem)} ms at degree ` +
          `${top.degree}; if the daemons' CPU were the only limit, at most ${fixed(top.daemonCpuMsPerItem / predicted)} × ` +
          `flooding's rate, and with the bench process's ${fixed(bench)} ms/item on the same cores (as in the ` +
          `saturation scenario) at most ${fixed((top.daemonCpuMsPerItem + bench) / (predicted + bench))} ×`,
      );
    }
    for (const tree of ofSize.filter((r) => r.variant === 'tree')) lines.push(treeLine(tree, top));
  }
  return lines;
}

function treeLine(tree: CostRow, top: CostRow | undefined): string {
  const parts = [
    `${tree.payloadBytes} B, tree at degree ${tree.degree}: measured ${fixed(tree.daemonCpuMsPerItem)} ms/item ` +
      `(${fixed(tree.copiesPerNodeItem)} copies/node/item)`,
  ];
  if (top)
    parts.push(
      `${fixed(tree.daemonCpuMsPerItem / top.daemonCpuMsPerItem)} × flooding's at degree ${top.degree}: at most ` +
        `${fixed(top.daemonCpuMsPerItem / tree.daemonCpuMsPerItem)} × its rate on the daemons' CPU, ` +
        `${fixed((top.daemonCpuMsPerItem + top.benchCpuMsPerItem) / (tree.daemonCpuMsPerItem + tree.benchCpuMsPerItem))} × ` +
        `with the bench process's`,
    );
  if (tree.eagerLinks && tree.eagerLinks.length > 0) {
    const most = Math.max(...tree.eagerLinks);
    parts.push(
      `the node with the most eager links (node ${tree.eagerLinks.indexOf(most)}) has ${most}, the mean is ` +
        `${fixed(mean(tree.eagerLinks), 1)} per node` +
        (top
          ? ` (a flooding node at degree ${top.degree} has ${fixed(top.linksPerNode, 1)} links on average, every one eager)`
          : ''),
    );
  }
  return parts.join('; ');
}
