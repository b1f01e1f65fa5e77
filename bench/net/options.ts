/** bench:net's command line (the usage is in bench/net.bench.ts and docs/net-bench.md). */
import type { Variant } from './dissemination.js';

export type Scenario = 'compare' | 'saturation' | 'cost' | 'churn';

export interface BenchOptions {
  readonly scenarios: readonly Scenario[];
  readonly variants: readonly Variant[];
  readonly nodes: readonly number[];
  readonly degrees: readonly number[];
  readonly processNodes: readonly number[];
  readonly processDegrees: readonly number[];
  /** GossipSub mesh degrees; 0 = the library's default D. */
  readonly gossipsubD: readonly number[];
  readonly items: number;
  readonly intervalMs: number;
  readonly payloadBytes: number;
  readonly seed: number;
  readonly powDifficulty: number;
  readonly saturation: {
    readonly nodes: number;
    readonly degree: number;
    readonly seconds: number;
    readonly sizes: readonly number[];
    readonly startRate: number;
    readonly maxRate: number;
    readonly p99BoundMs: number;
    /** Wall-clock seconds one search (one variant, one size) may take before it stops bisecting. */
    readonly budgetSeconds: number;
    /** Every daemon's P2P egress cap per run of the whole search, Mbit/s; 0 = unshaped loopback. */
    readonly uplinksMbit: readonly number[];
  };
  /** What one item costs the daemons, by mode and degree (bench/net/cost.ts). */
  readonly cost: {
    readonly rate: number;
    readonly seconds: number;
    readonly sizes: readonly number[];
    readonly nodes: number;
    readonly floodDegrees: readonly number[];
    readonly treeDegrees: readonly number[];
  };
  readonly churn: {
    readonly nodes: number;
    readonly degree: number;
    readonly fraction: number;
    readonly seconds: number;
    readonly killAtSeconds: number;
    readonly intervalMs: number;
  };
  readonly writeDoc: boolean;
  readonly jsonFile: string | null;
}

/** Default bound on a saturation probe's last-delivery p99. */
const DEFAULT_P99_BOUND_MS = 500;

const SCENARIOS: readonly Scenario[] = ['compare', 'saturation', 'cost', 'churn'];
const VARIANTS: readonly Variant[] = ['flood', 'tree', 'gossipsub'];

export function parseOptions(argv: readonly string[]): BenchOptions {
  const option = (name: string, fallback: string): string => {
    const index = argv.indexOf(`--${name}`);
    if (index < 0) return fallback;
    const value = argv[index + 1];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    return value;
  };
  const numbers = (name: string, fallback: string, minimum: number, integer = true): number[] => {
    const text = option(name, fallback);
    const values = text === '' ? [] : text.split(',').map(Number);
    if (values.some((v) => !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < minimum))
      throw new Error(`--${name} needs ${integer ? 'integers' : 'numbers'} ≥ ${minimum}, comma-separated`);
    return values;
  };
  const number = (name: string, fallback: number, minimum: number, integer = true): number =>
    numbers(name, String(fallback), minimum, integer)[0] ?? fallback;
  const choices = <T extends string>(name: string, fallback: string, allowed: readonly T[]): T[] => {
    const values = option(name, fallback).split(',');
    const wrong = values.filter((v) => !allowed.includes(v as T));
    if (wrong.length > 0) throw new Error(`--${name}: unknown ${wrong.join(', ')} (choose from ${allowed.join(', ')})`);
    return values as T[];
  };
  const scenario = option('scenario', 'all');
  // The old single-configuration call (`--nodes 50 --degrees 8`) means the comparison only.
  const impliedCompare = scenario === 'all' && (argv.includes('--nodes') || argv.includes('--degrees'));
  const scenarios =
    scenario === 'all' ? (impliedCompare ? ['compare' as const] : SCENARIOS) : choices('scenario', scenario, SCENARIOS);
  const processNodes = numbers('process-nodes', '10,30', 0).filter((n) => n > 0);
  return {
    scenarios,
    variants: choices('modes', 'flood,tree,gossipsub', VARIANTS),
    nodes: numbers('nodes', '10,30,50', 2),
    degrees: numbers('degrees', '4,8', 1),
    processNodes,
    processDegrees: numbers('process-degrees', '4,8', 1),
    gossipsubD: numbers('gossipsub-d', '0,8', 0),
    items: number('items', 100, 1),
    intervalMs: number('interval-ms', 50, 0, false),
    payloadBytes: number('payload-bytes', 64, 8),
    seed: number('seed', 1, 0),
    powDifficulty: number('pow-difficulty', 6, 0),
    saturation: {
      nodes: number('saturation-nodes', 10, 2),
      degree: number('saturation-degree', 8, 1),
      seconds: number('saturation-seconds', 10, 1, false),
      sizes: numbers('saturation-sizes', '64,1024', 8),
      startRate: number('saturation-start-rate', 100, 1, false),
      maxRate: number('saturation-max-rate', 20_000, 1, false),
      p99BoundMs: number('saturation-p99-ms', DEFAULT_P99_BOUND_MS, 1, false),
      budgetSeconds: number('saturation-budget-s', 150, 10, false),
      uplinksMbit: numbers('saturation-uplink-mbit', '0', 0, false),
    },
    cost: {
      rate: number('cost-rate', 1_000, 1, false),
      seconds: number('cost-seconds', 10, 1, false),
      sizes: numbers('cost-sizes', '64,1024', 8),
      nodes: number('cost-nodes', 10, 2),
      floodDegrees: numbers('cost-flood-degrees', '2,4,8', 1),
      treeDegrees: numbers('cost-tree-degrees', '8', 1),
    },
    churn: {
      nodes: number('churn-nodes', 30, 4),
      degree: number('churn-degree', 8, 1),
      fraction: number('churn-fraction', 0.3, 0, false),
      seconds: number('churn-seconds', 20, 2, false),
      killAtSeconds: number('churn-kill-at', 5, 1, false),
      intervalMs: number('churn-interval-ms', 50, 1, false),
    },
    writeDoc: !argv.includes('--no-doc'),
    jsonFile: argv.includes('--json') ? option('json', '') : null,
  };
}
