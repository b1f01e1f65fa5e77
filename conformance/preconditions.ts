/**
 * Which preconditions a case relies on and what they give it: the observation paths facts stand
 * for, BLOCKED or SKIP when a need was not shown to work, and the order preconditions run in.
 * Apart from runner.ts so the case loop reads without the path rules.
 */
import {
  blocked,
  skip,
  type ConformanceCase,
  type Fact,
  type Need,
  type NodeInfo,
  type ObservationPath,
  type Outcome,
} from './types.js';

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

export type Resolved = { path: ObservationPath; twoHop: ObservationPath | null } | Outcome;

/** The paths a case gets, or BLOCKED / SKIP when what it needs was not shown to work. */
export function resolveNeeds(
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

/** Preconditions in their order, except that one runs after the preconditions it needs (stable). */
export function preconditionOrder(providers: readonly ConformanceCase[]): ConformanceCase[] {
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
