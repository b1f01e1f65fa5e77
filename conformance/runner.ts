/**
 * Runs conformance cases one after another, each in its own context: a hung case fails on
 * its own timeout, resources it opened are closed whatever happens, and an exception is
 * that case's FAIL, never the run's end (no cascades).
 */
import { randomBytes } from 'node:crypto';
import { proofAllowanceMs } from './peer.js';
import {
  blocked,
  fail,
  skip,
  type CaseContext,
  type CaseResult,
  type ConformanceCase,
  type ExtraNode,
  type Fact,
  type Need,
  type NodeInfo,
  type ObservationPath,
  type Outcome,
  type SuiteSettings,
} from './types.js';

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
  }) => void;
  /**
   * Between cases: which nodes no longer answer (index and what was seen). `facts` are the
   * preconditions established so far (a probe uses a path shown to work).
   */
  readonly checkNodes?: (facts: ReadonlyMap<Fact, FactState>) => Promise<{ index: number; what: string }[]>;
  /** Restarts a node the suite spawned (same config); false when it cannot. */
  readonly restartNode?: (index: number) => Promise<boolean>;
}

export interface FactState {
  readonly ok: boolean;
  /** The case that established it, or (when it was blocked itself) the root cause. */
  readonly by: string;
  readonly reason: string;
}

/** Delivery paths in order of preference: across nodes first, so local delivery is only its own case's rule. */
export const DELIVERY_ORDER: readonly Fact[] = ['path:leaf-to-hub', 'path:hub-to-leaves', 'path:local'];
export const TWO_HOP_ORDER: readonly Fact[] = ['path:leaf-to-leaf', 'path:peer-to-peer'];

/** The observation path a fact stands for, on these nodes. */
export function pathOf(fact: Fact, nodes: readonly NodeInfo[]): ObservationPath | null {
  const [n0, n1, n2] = nodes;
  if (!n0) return null;
  switch (fact) {
    case 'path:local':
      return { fact, name: 'local (node 0 → node 0)', from: n0, to: n0 };
    case 'path:leaf-to-hub':
      return n1 ? { fact, name: 'leaf → node 0 (node 1 → node 0)', from: n1, to: n0 } : null;
    case 'path:hub-to-leaves':
      return n1 ? { fact, name: 'node 0 → leaves (node 0 → node 1)', from: n0, to: n1 } : null;
    case 'path:leaf-to-leaf':
      return n2 && n1
        ? { fact, name: 'leaf → leaf through node 0 (node 1 → node 0 → node 2)', from: n1, to: n2 }
        : null;
    case 'path:peer-to-peer':
      return { fact, name: 'suite peer → node 0 → suite peer (§4 links)', from: n0, to: n0 };
    default:
      return null;
  }
}

type Resolved = { path: ObservationPath; twoHop: ObservationPath | null } | Outcome;

/** The paths a case gets, or BLOCKED / SKIP when what it needs was not shown to work. */
function resolveNeeds(
  conformanceCase: ConformanceCase,
  facts: ReadonlyMap<Fact, FactState>,
  nodes: readonly NodeInfo[],
): Resolved {
  const local = pathOf('path:local', nodes)!;
  let path = local;
  let twoHop: ObservationPath | null = null;
  const provides = conformanceCase.provides;
  if (provides && TWO_HOP_ORDER.includes(provides)) twoHop = pathOf(provides, nodes);
  else if (provides && DELIVERY_ORDER.includes(provides)) path = pathOf(provides, nodes) ?? local;
  const blockedBy = (order: readonly Fact[], what: string): Outcome | null => {
    const tried = order.map((fact) => facts.get(fact)).filter((state): state is FactState => state !== undefined);
    if (tried.length === 0) return null;
    const roots = [...new Set(tried.map((state) => state.by))];
    return blocked(
      roots.join(', '),
      `no ${what} was shown to work (${tried.map((state) => `${state.by}: ${state.reason}`).join('; ')})`,
    );
  };
  for (const need of conformanceCase.needs ?? []) {
    if (need === 'delivery') {
      const fact = DELIVERY_ORDER.find((candidate) => facts.get(candidate)?.ok && pathOf(candidate, nodes));
      if (fact) path = pathOf(fact, nodes)!;
      else {
        const outcome = blockedBy(DELIVERY_ORDER, 'delivery path');
        if (outcome) return outcome;
        path = pathOf('path:hub-to-leaves', nodes) ?? local;
      }
    } else if (need === 'two-hop') {
      const fact = TWO_HOP_ORDER.find((candidate) => facts.get(candidate)?.ok);
      if (fact) twoHop = pathOf(fact, nodes);
      else {
        const outcome = blockedBy(TWO_HOP_ORDER, 'two-hop path');
        if (outcome) return outcome;
        twoHop = pathOf('path:leaf-to-leaf', nodes);
        if (!twoHop)
          return skip(
            `needs a two-hop path: 3 nodes (use --nodes 3), or links from the suite to node 0 over our §4 wire protocol`,
          );
      }
    } else if (need === 'announce-unsubscribed') {
      // Worked around, never blocking: announcers then subscribe first (context.announcerSubscribes).
      continue;
    } else {
      const state = facts.get(need);
      if (state && !state.ok) return blocked(state.by, state.reason);
    }
  }
  return { path, twoHop };
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
  const lost = new Map<number, { by: string; what: string }>();
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
    // A case that SKIPped touched nothing: a node found dead after it is blamed on the last case that ran.
    const touched = outcome.status !== 'blocked' && outcome.status !== 'skip';
    if (touched) lastRan = results.length;
    if (options.checkNodes && outcome.status !== 'blocked') {
      const problems = await options.checkNodes(facts);
      if (problems.length > 0 && !touched && lastRan !== null) {
        const what = problems.map((p) => `node ${p.index} ${p.what}`).join('; ');
        const culprit = results[lastRan]!;
        for (const problem of problems) {
          if (!(await options.restartNode?.(problem.index)))
            lost.set(problem.index, { by: culprit.id, what: problem.what });
        }
        const previous = culprit.outcome;
        results[lastRan] = {
          ...culprit,
          outcome:
            previous.status === 'fail'
              ? { ...previous, message: `${previous.message}; shortly after this case ${what}` }
              : fail({
                  message: `shortly after this case ${what} (found after the next case, which sent nothing)`,
                  expected: 'every node still answers after the case',
                  got: what,
                }),
        };
      } else if (problems.length > 0) {
        const what = problems.map((p) => `node ${p.index} ${p.what}`).join('; ');
        const restarted: number[] = [];
        for (const problem of problems) {
          if (await options.restartNode?.(problem.index)) restarted.push(problem.index);
          else lost.set(problem.index, { by: conformanceCase.id, what: problem.what });
        }
        const after = restarted.length ? ` (restarted node ${restarted.join(', ')})` : '';
        outcome =
          outcome.status === 'fail'
            ? { ...outcome, message: `${outcome.message}; after this case ${what}${after}` }
            : fail({
                message: `after this case ${what}${after}`,
                expected: 'every node still answers after the case',
                got: what,
              });
      }
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
    options.onProgress?.({ done: results.length, total, running: null, last: result });
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

/** Preconditions in their order, except that one runs after the preconditions it needs (stable). */
function preconditionOrder(providers: readonly ConformanceCase[]): ConformanceCase[] {
  const ordered: ConformanceCase[] = [];
  const placed = new Set<ConformanceCase>();
  const place = (c: ConformanceCase, visiting: Set<ConformanceCase>): void => {
    if (placed.has(c) || visiting.has(c)) return;
    visiting.add(c);
    for (const need of c.needs ?? []) {
      const facts: readonly Need[] = need === 'delivery' ? DELIVERY_ORDER : need === 'two-hop' ? TWO_HOP_ORDER : [need];
      for (const other of providers)
        if (other.provides !== undefined && facts.includes(other.provides)) place(other, visiting);
    }
    placed.add(c);
    ordered.push(c);
  };
  for (const c of providers) place(c, new Set());
  return ordered;
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
