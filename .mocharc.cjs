// mocha's settings for `npm test`. The files run in parallel worker processes: most tests wait
// on sockets, timers and child processes, so even 2 cores keep several files busy. Each
// worker takes the next file in `spec` order; the longest files come first so that the
// workers finish at about the same time instead of one running a long file alone at the end.
const { readdirSync } = require('node:fs');
const { availableParallelism } = require('node:os');

/**
 * The longest files first (measured on the 2-core machine at load average 7-10 with six
 * workers; the rest follow in name order). Roughly longest first, except that the files that
 * keep a core busy (the CLI's processes, the generator, the differential codec test) are spread
 * among the conformance and network files, which mostly wait, instead of all meeting at the end.
 */
const LONGEST_FIRST = [
  'test/conformance/our-daemon.spec.ts',
  'test/conformance/our-daemon-tree.spec.ts',
  'test/conformance/broken-node.spec.ts',
  'test/cli/cli.spec.ts',
  'test/p2p-defences.spec.ts',
  'test/conformance/broken-node-p2p.spec.ts',
  'test/generator.spec.ts',
  'test/codec-differential.spec.ts',
  'test/p2p-tree-rules.spec.ts',
  'test/p2p-network.spec.ts',
  'test/conformance/broken-node-one-node.spec.ts',
  'test/conformance/broken-node-restart.spec.ts',
  'test/p2p-tree.spec.ts',
  'test/conformance/our-daemon-one-node.spec.ts',
  'test/conformance/cli.spec.ts',
  'test/package/package.spec.ts',
  'test/api/closed-connection-state.spec.ts',
  'test/p2p-overlay.spec.ts',
  'test/daemon/api-robustness.spec.ts',
  'test/kaitai-python.spec.ts',
  'test/daemon/api.spec.ts',
  'test/cli/client-tools.spec.ts',
  'test/pow.spec.ts',
  'test/config.spec.ts',
  'test/core/heap-growth.spec.ts',
  'test/p2p-lifecycle.spec.ts',
  'test/pow-kernel.spec.ts',
  'test/core/descriptor-exhaustion.spec.ts',
];
const all = readdirSync('test', { recursive: true })
  .filter((name) => name.endsWith('.spec.ts'))
  .map((name) => `test/${name}`)
  .sort();

module.exports = {
  'node-option': ['import=tsx'],
  spec: [...LONGEST_FIRST.filter((file) => all.includes(file)), ...all.filter((file) => !LONGEST_FIRST.includes(file))],
  extension: ['ts'],
  timeout: 20000,
  parallel: true,
  // Three files per core (6 on the 2-core machine): most files wait most of the time. Measured
  // there at load average 6-10: 128 s with 6 workers, 168 s with 4. The timing-bound tests
  // measure work or compare with a baseline of the same run, so they stand the shared cores.
  jobs: Number(process.env.MOCHA_JOBS) || Math.min(8, 3 * availableParallelism()),
  require: ['test/support/build-dist.ts'],
};
