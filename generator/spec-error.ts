/** One problem in one spec: file, JSON-pointer path inside it, and what is wrong. */
export interface SpecProblem {
  file: string;
  path: string;
  message: string;
}

/** Thrown when specs are invalid; the message is one line per problem. */
export class SpecError extends Error {
  readonly problems: readonly SpecProblem[];

  constructor(problems: readonly SpecProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SpecError';
    this.problems = problems;
  }
}

export function formatProblem(problem: SpecProblem): string {
  return `${problem.file}: ${problem.path || '/'}: ${problem.message}`;
}
