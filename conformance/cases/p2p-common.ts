/**
 * Shared steps of the p2p group: which node the suite talks to (the last one: a leaf of the
 * star, so node 0 keeps its links) and getting an active, verified link to it.
 */
import type { FramedSocket } from '../../runtime/entry/client.js';
import { hex } from '../bytes.js';
import { MessageType } from '../../runtime/entry/codec.js';
import { SuiteListener } from '../listener.js';
import { SuitePeer, type HandshakeFailure } from '../peer.js';
import { proofAllowanceMs } from '../proofs.js';
import { fail, skip, type CaseContext, type NodeInfo, type Outcome } from '../types.js';

export const NO_P2P = 'the P2P address of the nodes is unknown (give --p2p with --api, or use --spawn)';
export const NO_HANDSHAKE = 'the §4.2 handshake did not complete (see p2p/4.2/handshake-completes)';

/** The node the p2p group dials, or null when its P2P address is unknown. */
export function targetNode(context: CaseContext): (NodeInfo & { p2p: NonNullable<NodeInfo['p2p']> }) | null {
  const node = context.nodes[context.nodes.length - 1]!;
  return node.p2p ? { ...node, p2p: node.p2p } : null;
}

export interface OpenLink {
  readonly peer: SuitePeer;
  readonly listener: SuiteListener;
  readonly target: NodeInfo;
}

/** Dials the target from a fresh listener's port, without any handshake step yet. */
async function dialTarget(context: CaseContext): Promise<OpenLink | Outcome> {
  const target = targetNode(context);
  if (!target) return skip(NO_P2P);
  const listener = await SuiteListener.open(context);
  const peer = await SuitePeer.dial(context, target.p2p);
  return { peer, listener, target };
}

/** Dials the target and greets it (HELLO + VERIFICATION REQUEST), without proving anything. */
export async function greetedLink(context: CaseContext): Promise<OpenLink | Outcome> {
  const link = await dialTarget(context);
  if (!isOutcome(link)) link.peer.greet(link.listener.port);
  return link;
}

/** A verified, active link to the target; a SKIP outcome when the handshake fails. */
export async function activeLink(context: CaseContext): Promise<OpenLink | Outcome> {
  const link = await dialTarget(context);
  if (isOutcome(link)) return link;
  const problem = await link.peer.handshake(link.listener.port);
  return problem ? skip(`${NO_HANDSHAKE}: ${problem.message}`) : link;
}

/** Whether a step returned an Outcome (skip / fail) instead of its result. */
export function isOutcome<T extends object>(value: T | Outcome): value is Outcome {
  return 'status' in value;
}

export function handshakeFailed(problem: HandshakeFailure): Outcome {
  return fail(problem);
}

/** PASS-or-FAIL on "the node closes this P2P connection after `what`". */
export async function mustClose(
  context: CaseContext,
  peer: SuitePeer,
  what: string,
  waitMs = context.settings.waitMs,
): Promise<Outcome> {
  if (await peer.socket.waitClosed(waitMs)) return { status: 'pass' };
  return fail({
    message: `the node kept the connection open after ${what}`,
    sent: peer.sent.join('; '),
    expected: 'the node closes the connection',
    got: `still open after ${waitMs} ms${describePending(peer.socket)}`,
  });
}

function describePending(socket: FramedSocket): string {
  const frames = socket.pending();
  return frames.length ? `; it sent ${frames.map((f) => hex(f, 24)).join(', ')}` : '';
}

export const NO_SPAWN = 'needs a node that bootstraps from the suite: run with --spawn';

/**
 * Starts a node whose bootstrapper is the suite, accepts its dial, completes the handshake
 * and returns its PEER REQUEST; an Outcome when any step is missing.
 */
export async function bootstrappedBy(
  context: CaseContext,
): Promise<{ peer: SuitePeer; request: Uint8Array } | Outcome> {
  if (!context.spawnNode) return skip(NO_SPAWN);
  const listener = await SuiteListener.open(context);
  const node = await context.spawnNode({ bootstrapper: `127.0.0.1:${listener.port}` });
  context.track({ destroy: () => void node.stop() });
  const allowance = context.settings.waitMs + proofAllowanceMs(context.settings.powDifficulty);
  const peer = await listener.nextPeer(context.settings, context.settings.waitMs * 3);
  const expected =
    'the new node dials its bootstrapper (the suite), sends HELLO and a VERIFICATION REQUEST, proves our request, accepts our proof, then sends a PEER REQUEST';
  if (!peer)
    return fail({
      message: 'the node never dialed its bootstrapper',
      sent: `config bootstrapper = 127.0.0.1:${listener.port}`,
      expected,
      got: 'no connection',
    });
  context.track(peer);
  // §4.2: the dialer proves first; the suite, accepting, solves only once that checked out.
  const handshake = await peer.acceptHandshake();
  if ('message' in handshake) return fail(handshake);
  const request = await peer.expect(MessageType.GOSSIP_PEER_REQUEST, allowance);
  if (!request) return fail(peer.failure('the bootstrapping node sent no PEER REQUEST after the handshake', expected));
  return { peer, request };
}

/**
 * `bootstrappedBy` for a case that tests something AFTER bootstrapping: a bootstrap failure
 * is p2p/4.3/bootstrap-dials-and-asks's to report, so here it is a SKIP (no cascade).
 */
export async function bootstrappedOrSkip(
  context: CaseContext,
): Promise<{ peer: SuitePeer; request: Uint8Array } | Outcome> {
  const outcome = await bootstrappedBy(context);
  if (!isOutcome(outcome) || outcome.status !== 'fail') return outcome;
  return skip(`bootstrapping failed (see p2p/4.3/bootstrap-dials-and-asks): ${outcome.message}`);
}
