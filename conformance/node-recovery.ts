/**
 * After each case: which nodes stopped answering, restarting those the suite spawned, and whom
 * to blame (the case that just ran, or the last one that touched the nodes when this one sent
 * nothing). Apart from runner.ts so the case loop stays about running cases.
 */
import { fail, type CaseResult, type Outcome } from './types.js';

/** A node that stopped answering and could not be restarted: the case that did it. */
export interface LostNode {
  readonly by: string;
  readonly what: string;
}

export interface Recovery {
  /** Nodes found dead, as the runner's checkNodes reports them. */
  readonly problems: readonly { index: number; what: string }[];
  readonly restartNode: ((index: number) => Promise<boolean>) | undefined;
  /** Results so far; the last case that touched the nodes may be amended. */
  readonly results: CaseResult[];
  /** Index in `results` of the last case that talked to the nodes. */
  readonly lastRan: number | null;
  /** Whether this case talked to the nodes. */
  readonly touched: boolean;
  readonly lost: Map<number, LostNode>;
  readonly caseId: string;
}

/** This case's outcome once node health is accounted for (or an earlier result amended, when this case sent nothing). */
export async function recoverNodes(recovery: Recovery, outcome: Outcome): Promise<Outcome> {
  const { problems, restartNode, results, lastRan, touched, lost, caseId } = recovery;
  if (problems.length > 0 && !touched && lastRan !== null) {
    const what = problems.map((p) => `node ${p.index} ${p.what}`).join('; ');
    const culprit = results[lastRan]!;
    for (const problem of problems) {
      if (!(await restartNode?.(problem.index))) lost.set(problem.index, { by: culprit.id, what: problem.what });
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
      if (await restartNode?.(problem.index)) restarted.push(problem.index);
      else lost.set(problem.index, { by: caseId, what: problem.what });
    }
    const after = restarted.length ? ` (restarted node ${restarted.join(', ')})` : '';
    return outcome.status === 'fail'
      ? { ...outcome, message: `${outcome.message}; after this case ${what}${after}` }
      : fail({
          message: `after this case ${what}${after}`,
          expected: 'every node still answers after the case',
          got: what,
        });
  }
  return outcome;
}
