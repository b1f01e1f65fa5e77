/**
 * The P2P link life cycle as a state machine (docs/protocol.md §4.2). Pure: each function
 * takes a state and what happened, and returns the next state or why the link must close.
 * Who acts on a state (sending, solving, arming timers) is runtime/p2p/handshake.ts.
 *
 * The order makes whoever asks for work pay first (§4.2): the dialer sends HELLO and its
 * VERIFICATION REQUEST, the acceptor sends its own request, the dialer solves the
 * acceptor's request, and only once that proof checked out does the acceptor solve the
 * dialer's. So no node ever solves for a peer that has not paid a proof.
 *
 *   acceptor: awaiting-hello -> awaiting-request -> awaiting-proof -> proving -> verified
 *   dialer:   awaiting-request -> proving -> awaiting-proof -> verified
 *   verified -> active | referral (verified while full: one PEER REQUEST, then closed)
 */

/** A nonce this side sent in a VERIFICATION REQUEST, and when (§4.1: the proof's deadline). */
export interface SentNonce {
  readonly value: bigint;
  readonly sentAt: number;
}

export type LinkState =
  /** Acceptor: waiting for the dialer's HELLO (its listen port). */
  | { readonly phase: 'awaiting-hello'; readonly ours: SentNonce }
  /** Waiting for the peer's VERIFICATION REQUEST. */
  | { readonly phase: 'awaiting-request'; readonly ours: SentNonce }
  /**
   * Waiting for the peer's proof of our nonce. The acceptor holds the dialer's nonce
   * (`theirs`) unsolved until then; the dialer already solved the acceptor's (`theirs` null),
   * and measures the deadline from when it sent that proof (`since`).
   */
  | {
      readonly phase: 'awaiting-proof';
      readonly ours: SentNonce;
      readonly theirs: bigint | null;
      readonly since: number;
    }
  /** Solving the peer's request; for the dialer, our own nonce still waits for its proof. */
  | { readonly phase: 'proving'; readonly theirs: bigint; readonly ours: SentNonce | null }
  /** Both proofs done: the overlay decides between active and referral. */
  | { readonly phase: 'verified' }
  | { readonly phase: 'active' }
  /** Verified while this node was full: it answers one PEER REQUEST, then closes. */
  | { readonly phase: 'referral' }
  | { readonly phase: 'closed'; readonly reason: string };

export type Phase = LinkState['phase'];

/** A state, or the reason the link must close. */
export type Step = LinkState | string;

export type Direction = 'inbound' | 'outbound';

/** The first state of a link, once this side sent its VERIFICATION REQUEST. */
export function initialState(direction: Direction, ours: SentNonce): LinkState {
  return direction === 'inbound' ? { phase: 'awaiting-hello', ours } : { phase: 'awaiting-request', ours };
}

/** HELLO: only the dialer sends it, once, first (§4.2). */
export function onHello(state: LinkState): Step {
  return state.phase === 'awaiting-hello' ? { phase: 'awaiting-request', ours: state.ours } : 'unexpected HELLO';
}

/** The peer's VERIFICATION REQUEST: one per link (nobody makes us solve twice). */
export function onRequest(state: LinkState, direction: Direction, nonce: bigint): Step {
  if (state.phase === 'awaiting-hello') return 'VERIFICATION REQUEST before HELLO';
  if (state.phase !== 'awaiting-request') return 'second VERIFICATION REQUEST';
  // The acceptor holds the dialer's request until the dialer's proof checked out.
  if (direction === 'inbound')
    return { phase: 'awaiting-proof', ours: state.ours, theirs: nonce, since: state.ours.sentAt };
  return { phase: 'proving', theirs: nonce, ours: state.ours };
}

/** Our proof of the peer's nonce is solved and sent. */
export function onProofSent(state: LinkState, now: number): Step {
  if (state.phase !== 'proving') return `proof sent in phase ${state.phase}`;
  if (state.ours === null) return { phase: 'verified' };
  return { phase: 'awaiting-proof', ours: state.ours, theirs: null, since: now };
}

export interface ReceivedProof {
  readonly nonce: bigint;
  /** Did the frame's hash have enough leading zero bits (checked by the caller)? */
  readonly hasEnoughBits: boolean;
  readonly at: number;
}

/** The peer's VERIFICATION RESPONSE to our nonce (§4.1). */
export function onProof(state: LinkState, proof: ReceivedProof, timeoutMs: number): Step {
  switch (state.phase) {
    case 'awaiting-proof': {
      if (proof.nonce !== state.ours.value) return 'VERIFICATION RESPONSE with a wrong nonce';
      if (proof.at - state.since > timeoutMs) return 'VERIFICATION RESPONSE after verification_timeout';
      if (!proof.hasEnoughBits) return 'VERIFICATION RESPONSE with too few zero bits';
      return state.theirs === null ? { phase: 'verified' } : { phase: 'proving', theirs: state.theirs, ours: null };
    }
    case 'awaiting-hello':
    case 'awaiting-request':
    case 'proving':
      // The acceptor must not solve before the dialer's proof checked out (§4.2).
      return 'VERIFICATION RESPONSE before this side proved';
    default:
      return 'VERIFICATION RESPONSE to a nonce already used';
  }
}

/** Only active links (and a referral's one PEER REQUEST) exchange anything but the handshake. */
export function isPastHandshake(state: LinkState): boolean {
  return state.phase === 'active' || state.phase === 'referral';
}

export function isHandshaking(state: LinkState): boolean {
  return (
    state.phase === 'awaiting-hello' ||
    state.phase === 'awaiting-request' ||
    state.phase === 'awaiting-proof' ||
    state.phase === 'proving' ||
    state.phase === 'verified'
  );
}

export interface Deadlines {
  readonly handshakeTimeoutMs: number;
  readonly verificationTimeoutMs: number;
}

/**
 * When a handshaking link must have moved on (§4.2): HELLO and the request within
 * `handshake_timeout` of the connection, a proof within `verification_timeout` of the
 * moment the peer could start it, and the whole handshake within
 * handshake_timeout + 2 x verification_timeout whatever the state (no zombie links).
 */
export function deadlineOf(state: LinkState, connectedAt: number, limits: Deadlines): number | null {
  const overall = connectedAt + limits.handshakeTimeoutMs + 2 * limits.verificationTimeoutMs;
  switch (state.phase) {
    case 'awaiting-hello':
    case 'awaiting-request':
      return Math.min(overall, connectedAt + limits.handshakeTimeoutMs);
    case 'awaiting-proof':
      return Math.min(overall, state.since + limits.verificationTimeoutMs);
    case 'proving':
    case 'verified':
      return overall;
    default:
      return null;
  }
}
