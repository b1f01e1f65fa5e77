/**
 * The conformance suite's vocabulary: a case is data (id, section, one-line requirement,
 * group) plus a run function that checks ONE rule of docs/protocol.md and returns PASS, FAIL
 * (what was sent, what was expected, what came back) or SKIP (why).
 */
import type { Endpoint } from '../runtime/entry/client.js';

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

/** peer_request_interval's default (docs/configuration.md), for settings that do not give it. */
export const DEFAULT_PEER_REQUEST_INTERVAL_MS = 60_000;

/** Values of the implementation's settings that some cases must know. */
export interface SuiteSettings {
  /** §4.1 pow_difficulty, bits. */
  readonly powDifficulty: number;
  /** §3.1 validation_timeout, ms. */
  readonly validationTimeoutMs: number;
  /** §4.1 verification_timeout, ms. */
  readonly verificationTimeoutMs: number;
  /** §4.5 peer_request_interval, ms (`--set peer_request_interval`, else DEFAULT_PEER_REQUEST_INTERVAL_MS). */
  readonly peerRequestIntervalMs?: number;
  /** §4.8 graft_timeout, ms (`--set graft_timeout`, else the default 1 s). */
  readonly graftTimeoutMs?: number;
  /** How long to wait for something that must happen (a delivery, a close), ms. */
  readonly waitMs: number;
  /** How long to watch for something that must NOT happen, ms. */
  readonly quietMs: number;
}

/**
 * A delivery path shown to work by a precondition case: announce on `from`, observe on `to`
 * (`from` and `to` are the same node for the local path, on different connections).
 */
export interface ObservationPath {
  /** Precondition that provides it, e.g. 'path:leaf-to-hub'. */
  readonly fact: Fact;
  /** For reports, e.g. 'leaf → node 0 (node 1 → node 0)'. */
  readonly name: string;
  readonly from: NodeInfo;
  readonly to: NodeInfo;
}

/**
 * What precondition cases establish before the others run (docs/protocol.md §3.1):
 * - `announce-unsubscribed`: an ANNOUNCE on a connection not subscribed to its type is accepted;
 * - `path:*`: a delivery path works (local, leaf → node 0, node 0 → leaves, leaf → leaf
 *   through node 0, or suite peer → node 0 → suite peer over our §4 wire protocol).
 */
export type Fact =
  | 'announce-unsubscribed'
  | 'path:local'
  | 'path:leaf-to-hub'
  | 'path:hub-to-leaves'
  | 'path:leaf-to-leaf'
  | 'path:peer-to-peer'
  | 'ttl-1-delivery';

/**
 * What a case needs before it can tell anything: a fact, `delivery` (any one-hop delivery
 * path that works; the case gets it as `context.path`) or `two-hop` (an item forwarded by
 * node 0 can be seen: leaf → leaf, or suite peer → suite peer).
 */
export type Need = Fact | 'delivery' | 'two-hop';

export interface CaseContext {
  readonly nodes: readonly NodeInfo[];
  /** The delivery path chosen for a case that needs `delivery` (else node 0 → node 0, local). */
  readonly path: ObservationPath;
  /** The two-hop path for a case that needs `two-hop`, or null. */
  readonly twoHopPath: ObservationPath | null;
  /**
   * True when api/3.1/announce-without-subscription showed that the node closes an announcer
   * not subscribed to the item's type: every announcing connection then sends NOTIFY for that
   * type first (`announcerPreamble`), so that the other rules can still be checked.
   */
  readonly announcerSubscribes: boolean;
  /** Whether a precondition case showed `fact` to work in this run. */
  works(fact: Fact): boolean;
  /** State that outlives one case (the suite's P2P links for the peer path). */
  readonly shared: Map<string, { destroy(): void }>;
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
  | { readonly status: 'skip'; readonly reason: string }
  /** A precondition failed: `by` is the case that showed it; this case could tell nothing. */
  | { readonly status: 'blocked'; readonly by: string; readonly reason: string };

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
  /** Preconditions: when one failed, the case is BLOCKED by the case that showed it. */
  readonly needs?: readonly Need[];
  /** A precondition case: it runs before the others and establishes this fact. */
  readonly provides?: Fact;
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
  /** The observation path the case used, when it used one. */
  readonly path?: string;
}

export const pass = (note?: string): Outcome => (note === undefined ? { status: 'pass' } : { status: 'pass', note });
export const skip = (reason: string): Outcome => ({ status: 'skip', reason });
export const fail = (failure: Failure): Outcome => ({ status: 'fail', ...failure });
export const blocked = (by: string, reason: string): Outcome => ({ status: 'blocked', by, reason });
