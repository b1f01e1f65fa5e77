/**
 * The conformance suite's vocabulary: a case is data (id, section, one-line requirement,
 * group) plus a run function that checks ONE rule of docs/protocol.md and returns PASS, FAIL
 * (what was sent, what was expected, what came back) or SKIP (why).
 */
import type { Endpoint } from '../runtime/api/api-client.js';

/** api: any VoidPhone Gossip implementation; p2p: implementations of our §4 wire protocol. */
export type Group = 'api' | 'p2p';

export interface NodeInfo {
  readonly index: number;
  readonly api: Endpoint;
  /** Known when the suite spawned the node or `--p2p` named it; null otherwise. */
  readonly p2p: Endpoint | null;
}

/** A node started for one case only (spawn mode), with its own config overrides. */
export interface ExtraNode extends NodeInfo {
  stop(): Promise<void>;
}

/** Values of the implementation's settings that some cases must know. */
export interface SuiteSettings {
  /** §4.1 pow_difficulty, bits. */
  readonly powDifficulty: number;
  /** §3.1 validation_timeout, ms. */
  readonly validationTimeoutMs: number;
  /** §4.1 verification_timeout, ms. */
  readonly verificationTimeoutMs: number;
  /** How long to wait for something that must happen (a delivery, a close), ms. */
  readonly waitMs: number;
  /** How long to watch for something that must NOT happen, ms. */
  readonly quietMs: number;
}

export interface CaseContext {
  readonly nodes: readonly NodeInfo[];
  readonly settings: SuiteSettings;
  /** Starts one more node whose config gets `overrides` (spawn mode only). */
  readonly spawnNode: ((overrides: Record<string, string>) => Promise<ExtraNode>) | null;
  /** Registers something to close when the case ends, pass or fail; returns it. */
  track<T extends { destroy(): void }>(resource: T): T;
  /** A data type no other case uses in this run (so cases never see each other's items). */
  freshDataType(): number;
  /** Item data unique in this run, `length` bytes (at least 8). */
  freshData(length?: number): Uint8Array;
}

export interface Failure {
  /** One line: what went wrong. */
  readonly message: string;
  /** What the suite sent (hex when bytes). */
  readonly sent?: string;
  readonly expected?: string;
  readonly got?: string;
}

export type Outcome =
  | { readonly status: 'pass'; readonly note?: string }
  | ({ readonly status: 'fail' } & Failure)
  | { readonly status: 'skip'; readonly reason: string };

export interface ConformanceCase {
  /** `group/section/slug`, stable: used by `--only` and in reports. */
  readonly id: string;
  readonly group: Group;
  /** docs/protocol.md section, e.g. '3.1'. */
  readonly section: string;
  /** One line: the rule this case checks. */
  readonly requirement: string;
  /** Fewest nodes the case needs; with fewer it is skipped. */
  readonly minNodes: number;
  /** Longest the case may take before it fails as hung, ms (default in runner.ts). */
  readonly timeoutMs?: number;
  run(context: CaseContext): Promise<Outcome>;
}

export interface CaseResult {
  readonly id: string;
  readonly group: Group;
  readonly section: string;
  readonly requirement: string;
  readonly outcome: Outcome;
  readonly durationMs: number;
}

export const pass = (note?: string): Outcome => (note === undefined ? { status: 'pass' } : { status: 'pass', note });
export const skip = (reason: string): Outcome => ({ status: 'skip', reason });
export const fail = (failure: Failure): Outcome => ({ status: 'fail', ...failure });
