/**
 * Runs conformance cases one after another, each in its own context: a hung case fails on
 * its own timeout, resources it opened are closed whatever happens, and an exception is
 * that case's FAIL, never the run's end (no cascades).
 */
import { randomBytes } from 'node:crypto';
import { proofAllowanceMs } from './peer.js';
import type { CaseContext, CaseResult, ConformanceCase, ExtraNode, NodeInfo, Outcome, SuiteSettings } from './types.js';

/** A case that has not finished after this long fails as hung. */
export const DEFAULT_CASE_TIMEOUT_MS = 20_000;

export interface RunOptions {
  readonly cases: readonly ConformanceCase[];
  readonly nodes: readonly NodeInfo[];
  readonly settings: SuiteSettings;
  readonly spawnNode: ((overrides: Record<string, string>) => Promise<ExtraNode>) | null;
  /** Called before each case starts and after it ends. */
  readonly onProgress?: (event: { done: number; total: number; running: ConformanceCase | null; last: CaseResult | null }) => void;
}

export async function runCases(options: RunOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const total = options.cases.length;
  // Data types start at a random base so that two runs against the same nodes never meet.
  let nextDataType = 1_000 + Math.floor(Math.random() * 30_000);
  let nextItem = 0;
  const runTag = randomBytes(4);
  for (const conformanceCase of options.cases) {
    options.onProgress?.({ done: results.length, total, running: conformanceCase, last: null });
    const tracked: { destroy(): void }[] = [];
    const context: CaseContext = {
      nodes: options.nodes,
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
    const started = performance.now();
    const outcome = await runOne(conformanceCase, context, options.nodes.length);
    for (const resource of tracked) {
      try {
        resource.destroy();
      } catch {
        // Closing what a case left open must not fail the next case.
      }
    }
    const result: CaseResult = {
      id: conformanceCase.id,
      group: conformanceCase.group,
      section: conformanceCase.section,
      requirement: conformanceCase.requirement,
      outcome,
      durationMs: Math.round(performance.now() - started),
    };
    results.push(result);
    options.onProgress?.({ done: results.length, total, running: null, last: result });
  }
  return results;
}

async function runOne(conformanceCase: ConformanceCase, context: CaseContext, nodeCount: number): Promise<Outcome> {
  if (nodeCount < conformanceCase.minNodes) {
    return { status: 'skip', reason: `needs ${conformanceCase.minNodes} nodes, the run has ${nodeCount} (use --nodes ${conformanceCase.minNodes})` };
  }
  // p2p cases solve proofs of work: each gets time for a few on top (§4.1 difficulty).
  const proofTimeMs = conformanceCase.group === 'p2p' ? 3 * proofAllowanceMs(context.settings.powDifficulty) : 0;
  const timeoutMs = (conformanceCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS) + proofTimeMs;
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ status: 'fail', message: `case did not finish within ${timeoutMs} ms (the implementation never answered)` }),
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
    (pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}($|/)`),
  );
  return cases.filter((conformanceCase) => regexes.some((regex) => regex.test(conformanceCase.id)));
}
