/**
 * The one place the runtime (the `gossip conformance` command) and the package's public
 * `voidphone-gossip/conformance` entry point reach the conformance suite. The suite's files may
 * move; only the paths below change with them.
 */
export { chooseCases, listCases, runSuite } from '../conformance/suite.js';
export type { Output, SuiteOptions, SuiteRun } from '../conformance/suite.js';
export type { Summary } from '../conformance/reporters.js';
export type { CaseResult, ConformanceCase, Group, NodeInfo, Outcome, SuiteSettings } from '../conformance/types.js';
