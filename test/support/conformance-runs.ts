/**
 * What the conformance suite's own tests share (test/conformance/*.spec.ts): the commands
 * that start our daemon and the deliberately broken node, suite options with short timeouts,
 * and helpers to read a run's results.
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { runSuite, type SuiteOptions } from '../../conformance/suite.js';
import { formatResult } from '../../conformance/reporters.js';
import type { CaseResult } from '../../conformance/types.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const OUR_DAEMON = 'node bin/gossip.js daemon -c {config}';
export const BROKEN_NODE = 'node --import tsx test/conformance/broken/broken-node.ts {config}';

/**
 * Short timeouts and an easy proof of work, so a whole run takes seconds. verification_timeout
 * leaves room for the suite's first proof: its worker pool starts (and compiles TypeScript
 * through tsx) on first use, which on a loaded 2-core machine took more than the 2 s this was.
 * The deadlines for what must happen (nodes started and linked, an item delivered: waitMs)
 * are generous, since a run only waits them out when something is missing; on a loaded
 * machine (load average 15-20) the 3 nodes took more than 20 s to link and an item more than
 * 2 s to arrive, which failed runs against a correct node.
 */
export function options(overrides: Partial<SuiteOptions>): SuiteOptions {
  return {
    spawn: OUR_DAEMON,
    nodes: 3,
    api: [],
    p2p: [],
    set: {
      pow_difficulty: '6',
      validation_timeout: '1',
      verification_timeout: '5',
      rejoin_interval: '0',
      max_peers: '16',
      log_level: 'warn',
    },
    groups: ['api', 'p2p'],
    only: [],
    hostkeyBits: 2048,
    startupTimeoutMs: 60_000,
    readyTimeoutMs: 60_000,
    settings: {
      powDifficulty: 6,
      validationTimeoutMs: 1_000,
      verificationTimeoutMs: 5_000,
      waitMs: 5_000,
      quietMs: 600,
    },
    json: false,
    junitPath: null,
    progress: false,
    cwd: ROOT,
    ...overrides,
  };
}

/** What the latest run wrote on its error stream: why no case ran, when none did. */
let runLog = '';
export const silent = {
  out: () => undefined,
  err: (text: string) => {
    runLog = text.startsWith('starting ') ? text : runLog + text;
  },
};
export const failedIds = (results: CaseResult[]): string[] =>
  results
    .filter((r) => r.outcome.status === 'fail')
    .map((r) => r.id)
    .sort();
export const withStatus = (results: CaseResult[], status: string): string[] =>
  results
    .filter((r) => r.outcome.status === status)
    .map((r) => r.id)
    .sort();
/** The one precondition that SKIPs on 3 nodes by design: the suite-peer path is for fewer nodes. */
/** The api group against the deliberately broken node with `bugs` switched on, on `nodes` nodes. */
export function runBrokenApi(bugs: string, nodes = 3): ReturnType<typeof runSuite> {
  return runSuite(
    options({ spawn: BROKEN_NODE, nodes, groups: ['api'], set: { ...options({}).set, broken_bugs: bugs } }),
    silent,
  );
}

export const PEER_PATH = 'api/3.1/forward-between-suite-peers';
/** How many api cases the suite's first edition had; a one-node run must run at least 34 of them. */
export const FIRST_EDITION_API = 42;
export const explain = (results: CaseResult[]): string =>
  results.length === 0
    ? `no case ran:\n${runLog}`
    : results
        .filter((r) => r.outcome.status !== 'pass')
        .map(formatResult)
        .join('\n');

/** Pids of processes whose command line mentions `text` (Linux /proc). */
async function listProcessesUsing(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/**
 * The processes still running whose command line mentions `text`, looked at again for up to
 * 1 s until there are none: `gossip conformance` SIGKILLs each node's process group before it
 * exits, and a killed process stays listed for the moment the kernel takes to tear it down
 * (long enough to be seen on a loaded machine). A node left running is still found.
 */
export async function processesLeft(text: string): Promise<number[]> {
  const deadline = Date.now() + 1_000;
  for (;;) {
    const pids = await listProcessesUsing(text);
    if (pids.length === 0 || Date.now() > deadline) return pids;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
