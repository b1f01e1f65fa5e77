/**
 * Runs conformance cases one after another, each in its own context: a hung case fails on
 * its own timeout, resources it opened are closed whatever happens, and an exception is
 * that case's FAIL, never the run's end (no cascades).
 */
import { randomBytes } from 'node:crypto';
import { proofAllowanceMs } from './proofs.js';
import { recoverNodes, type LostNode } from './node-recovery.js';
import { preconditionOrder, resolveNeeds, type FactState } from './preconditions.js';
import {
  blocked,
  type CaseContext,
  type CaseResult,
  type ConformanceCase,
  type ExtraNode,
  type Fact,
  type NodeInfo,
  type Outcome,
  type SuiteSettings,
} from './types.js';

// Where the rest of the suite has always found them.
export { DELIVERY_ORDER, pathOf, TWO_HOP_ORDER, type FactState } from './preconditions.js';

/** A case that has not finished after this long fails as hung. */
export const DEFAULT_CASE_TIMEOUT_MS = 20_000;

export interface RunOptions {
  readonly cases: readonly ConformanceCase[];
  readonly nodes: readonly NodeInfo[];
  readonly settings: SuiteSettings;
  readonly spawnNode: ((overrides: Record<string, string>) => Promise<ExtraNode>) | null;
  /** Called before each case starts and after it ends. */
  readonly onProgress?: (event: {
    done: number;
    total: number;
    running: ConformanceCase | null;
    last: CaseResult | null;
    /** An earlier result changed by what was found after this case (a node it left dead). */
    amended?: CaseResult;
  }) => void;
  /**
   * Between cases: which nodes no longer answer (index and what was seen). `facts` are the
   * preconditions established so far (a probe uses a path shown to work).
   */
  readonly checkNodes?: (facts: ReadonlyMap<Fact, FactState>) => Promise<{ index: number; what: string }[]>;
  /** Restarts a node the suite spawned (same config); false when it cannot. */
  readonly restartNode?: (index: number) => Promise<boolean>;
}

export async function runCases(options: RunOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const total = options.cases.length;
  // Preconditions first, in their order; then the others in theirs.
  const ordered = [
    ...preconditionOrder(options.cases.filter((c) => c.provides)),
    ...options.cases.filter((c) => !c.provides),
  ];
  const facts = new Map<Fact, FactState>();
  /** Nodes that stopped answering and could not be restarted: index → the case that did it. */
  const lost = new Map<number, LostNode>();
  const shared = new Map<string, { destroy(): void }>();
  /** Index in `results` of the last case that talked to the nodes. */
  let lastRan: number | null = null;
  // Data types start at a random base so that two runs against the same nodes never meet.
  let nextDataType = 1_000 + Math.floor(Math.random() * 30_000);
  let nextItem = 0;
  const runTag = randomBytes(4);
  for (const conformanceCase of ordered) {
    options.onProgress?.({ done: results.length, total, running: conformanceCase, last: null });
    const tracked: { destroy(): void }[] = [];
    const started = performance.now();
    let outcome: Outcome;
    let pathName: string | undefined;
    const resolved = resolveNeeds(conformanceCase, facts, options.nodes);
    const gone = [...lost.entries()][0];
    if (gone) {
      outcome = blocked(
        gone[1].by,
        `node ${gone[0]} stopped answering after ${gone[1].by} (${gone[1].what}) and could not be restarted`,
      );
    } else if (isOutcome(resolved)) {
      outcome = resolved;
    } else {
      const context: CaseContext = {
        nodes: options.nodes,
        path: resolved.path,
        twoHopPath: resolved.twoHop,
        works: (fact) => facts.get(fact)?.ok === true,
        announcerSubscribes: facts.get('announce-unsubscribed')?.ok === false,
        shared,
        settings: options.settings,
        spawnNode: options.spawnNode,
        track: (resource) => {
          tracked.push(resource);
          return resource;
        },
        freshDataType: () => nextDataType++,
        freshData: (length = 24) => {
          const data = randomBytes(Math.max(8, length));
          runTag.copy(data, 0);
          data.writeUInt32BE(++nextItem, 4);
          return new Uint8Array(data);
        },
      };
      const needs = conformanceCase.needs ?? [];
      if (needs.includes('two-hop') && resolved.twoHop) pathName = resolved.twoHop.name;
      else if (needs.includes('delivery')) pathName = resolved.path.name;
      outcome = await runOne(conformanceCase, context, options.nodes.length);
    }
    for (const resource of tracked) {
      try {
        resource.destroy();
      } catch {
        // Closing what a case left open must not fail the next case.
      }
    }
    if (conformanceCase.provides) {
      const ok = outcome.status === 'pass';
      const by = outcome.status === 'blocked' ? outcome.by : conformanceCase.id;
      const reason =
        outcome.status === 'fail' ? outcome.message : outcome.status === 'pass' ? 'shown to work' : outcome.reason;
      // A precondition that could not run (too few nodes) establishes nothing.
      if (outcome.status !== 'skip') facts.set(conformanceCase.provides, { ok, by, reason });
    }
    // A case that SKIPped before opening anything touched nothing: a node found dead after it
    // is blamed on the last case that did. One that connected and then SKIPped did touch.
    const touched = (outcome.status !== 'blocked' && outcome.status !== 'skip') || tracked.length > 0;
    if (touched) lastRan = results.length;
    // What a case that touched nothing may amend: the last result that did (node-recovery.ts).
    const earlier = touched || lastRan === null ? undefined : results[lastRan];
    if (options.checkNodes && outcome.status !== 'blocked') {
      const problems = await options.checkNodes(facts);
      outcome = await recoverNodes(
        { problems, restartNode: options.restartNode, results, lastRan, touched, lost, caseId: conformanceCase.id },
        outcome,
      );
    }
    const result: CaseResult = {
      id: conformanceCase.id,
      group: conformanceCase.group,
      section: conformanceCase.section,
      requirement: conformanceCase.requirement,
      outcome,
      durationMs: Math.round(performance.now() - started),
      ...(pathName === undefined ? {} : { path: pathName }),
    };
    results.push(result);
    const amended = earlier && lastRan !== null && results[lastRan] !== earlier ? results[lastRan] : undefined;
    options.onProgress?.({ done: results.length, total, running: null, last: result, ...(amended && { amended }) });
  }
  for (const resource of shared.values()) {
    try {
      resource.destroy();
    } catch {
      // Already closed.
    }
  }
  return results;
}

function isOutcome(value: object): value is Outcome {
  return 'status' in value;
}

async function runOne(conformanceCase: ConformanceCase, context: CaseContext, nodeCount: number): Promise<Outcome> {
  if (nodeCount < conformanceCase.minNodes) {
    return {
      status: 'skip',
      reason: `needs ${conformanceCase.minNodes} nodes, the run has ${nodeCount} (use --nodes ${conformanceCase.minNodes})`,
    };
  }
  // p2p cases solve proofs of work: each gets time for a few on top (§4.1 difficulty).
  const proofTimeMs = conformanceCase.group === 'p2p' ? 3 * proofAllowanceMs(context.settings.powDifficulty) : 0;
  const timeoutMs = (conformanceCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS) + proofTimeMs;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'fail',
          message: `case did not finish within ${timeoutMs} ms (the implementation never answered)`,
        }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([conformanceCase.run(context), hung]);
  } catch (error) {
    return { status: 'fail', message: `case error: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Cases whose id matches any of the patterns (`*` = any run of characters); all when none. */
export function selectCases(cases: readonly ConformanceCase[], patterns: readonly string[]): ConformanceCase[] {
  if (patterns.length === 0) return [...cases];
  const regexes = patterns.map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
          .join('.*')}($|/)`,
      ),
  );
  return cases.filter((conformanceCase) => regexes.some((regex) => regex.test(conformanceCase.id)));
}
