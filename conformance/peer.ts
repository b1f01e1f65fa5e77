/**
 * The suite acting as a Gossip peer (docs/protocol.md §4): dials a node's P2P port or is dialed
 * by one, runs the §4.2 handshake step by step (so that cases can stop or cheat at any
 * step), and solves proofs of work on the shared worker pool (never on the event loop, §6).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import {
  CHALLENGE_OFFSET,
  GossipHello,
  GossipVerificationRequest,
  GossipVerificationResponse,
  MessageType,
} from '../generated/index.js';
import { FramedSocket, frameType, type Endpoint } from '../runtime/api/api-client.js';
import { PowPool } from '../runtime/pow/pool.js';
import { proofDigest } from '../runtime/pow/preimage.js';
import { hasProofOfWork, leadingZeroBits } from '../runtime/pow/verify.js';
import { hex } from './bytes.js';
import type { CaseContext } from './types.js';

let sharedPool: PowPool | null = null;

/** The run's proof-of-work pool (made on first use; closed by closeSharedPow). */
function pool(): PowPool {
  sharedPool ??= new PowPool(Math.max(1, Math.min(2, availableParallelism())));
  return sharedPool;
}

export async function closeSharedPow(): Promise<void> {
  const closing = sharedPool;
  sharedPool = null;
  await closing?.close();
}

export function randomNonce(): bigint {
  return randomBytes(8).readBigUInt64BE();
}

/** Writes `challenge` into a copy of `frame` at CHALLENGE_OFFSET (§4.1). */
export function withChallenge(frame: Uint8Array, challenge: bigint): Uint8Array {
  const copy = Uint8Array.from(frame);
  new DataView(copy.buffer).setBigUint64(CHALLENGE_OFFSET, challenge);
  return copy;
}

/**
 * `frame` with a challenge that proves it with `bits` zero bits: SHA-256 of its proof preimage
 * (runtime/pow/preimage.ts: the whole frame for a VERIFICATION RESPONSE, head ‖ SHA-256(address
 * list) for a PEER RESPONSE) starts with that many zero bits.
 */
export async function prove(frame: Uint8Array, bits: number): Promise<Uint8Array> {
  return withChallenge(frame, await pool().solve(frame, CHALLENGE_OFFSET, bits));
}

/** `frame` with a challenge whose proof hash (same preimage rule) has FEWER than `bits` zero bits (bits ≥ 1). */
export function disprove(frame: Uint8Array, bits: number): Uint8Array {
  for (;;) {
    const candidate = withChallenge(frame, randomNonce());
    if (leadingZeroBits(proofDigest(candidate)) < bits) return candidate;
  }
}

/** A frame's u64 nonce at offset 4 (506, 507, 505 and, at 8, 504). */
export function nonceAt(frame: Uint8Array, offset = 4): bigint {
  return Buffer.from(frame).readBigUInt64BE(offset);
}

export interface HandshakeFailure {
  readonly message: string;
  readonly sent: string;
  readonly expected: string;
  readonly got: string;
}

/** One P2P connection the suite holds, dialed or accepted. */
export class SuitePeer {
  /** Nonce of the VERIFICATION REQUEST we sent, if any. */
  ourNonce: bigint | null = null;
  /** Log of what we sent, for failure reports. */
  readonly sent: string[] = [];

  constructor(
    readonly socket: FramedSocket,
    private readonly settings: CaseContext['settings'],
  ) {}

  /** Dials `target` and registers the connection with the case. */
  static async dial(context: CaseContext, target: Endpoint): Promise<SuitePeer> {
    return new SuitePeer(context.track(await FramedSocket.connect(target)), context.settings);
  }

  send(label: string, frame: Uint8Array): void {
    this.sent.push(`${label} ${hex(frame)}`);
    this.socket.write(frame);
  }

  /** §4.2 step 1, dialing side: HELLO(listen_port) and VERIFICATION REQUEST(nonce). */
  greet(listenPort: number): void {
    this.ourNonce = randomNonce();
    this.send('HELLO', GossipHello.encode({ listenPort }));
    this.send('VERIFICATION REQUEST', GossipVerificationRequest.encode({ nonce: this.ourNonce }));
  }

  /** Sends our own VERIFICATION REQUEST (accepting side). */
  requestVerification(): void {
    this.ourNonce = randomNonce();
    this.send('VERIFICATION REQUEST', GossipVerificationRequest.encode({ nonce: this.ourNonce }));
  }

  /** The next frame of `type` (others stay queued), or null after `timeoutMs`. */
  expect(type: number, timeoutMs = this.settings.waitMs): Promise<Uint8Array | null> {
    return this.socket.take(timeoutMs, (frame) => frameType(frame) === type);
  }

  /** Our valid VERIFICATION RESPONSE to their request `theirNonce` (not sent). */
  answer(theirNonce: bigint): Promise<Uint8Array> {
    return prove(GossipVerificationResponse.encode({ nonce: theirNonce, challenge: 0n }), this.settings.powDifficulty);
  }

  /**
   * Their VERIFICATION REQUEST, answered with a valid proof; null and a failure when the
   * node sent none or closed. Time for the proof is allowed on top of waitMs.
   */
  async answerTheirRequest(): Promise<{ proof: Uint8Array } | HandshakeFailure> {
    const request = await this.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
    if (!request) return this.failure('the node sent no VERIFICATION REQUEST', 'VERIFICATION REQUEST (506, size 12)');
    const proof = await this.answer(nonceAt(request));
    this.send('VERIFICATION RESPONSE', proof);
    return { proof };
  }

  /** Checks their VERIFICATION RESPONSE to our nonce (§4.1): right nonce, enough zero bits. */
  async checkTheirProof(): Promise<{ response: Uint8Array } | HandshakeFailure> {
    const waitMs = this.settings.waitMs + proofAllowanceMs(this.settings.powDifficulty);
    const response = await this.expect(MessageType.GOSSIP_VERIFICATION_RESPONSE, waitMs);
    const expected = `VERIFICATION RESPONSE (507, size 20) with nonce ${this.ourNonce?.toString(16)} and ≥ ${this.settings.powDifficulty} leading zero bits`;
    if (!response) return this.failure(`the node sent no VERIFICATION RESPONSE within ${waitMs} ms`, expected);
    const isRight =
      response.length === 20 &&
      nonceAt(response) === this.ourNonce &&
      hasProofOfWork(response, this.settings.powDifficulty);
    if (!isRight)
      return {
        message: 'the VERIFICATION RESPONSE does not prove our request',
        sent: this.sent.join('; '),
        expected,
        got: hex(response),
      };
    return { response };
  }

  /** Full §4.2 handshake as the dialing side; null when both proofs checked out. */
  async handshake(listenPort: number): Promise<HandshakeFailure | null> {
    this.greet(listenPort);
    const ours = await this.answerTheirRequest();
    if ('message' in ours) return ours;
    const theirs = await this.checkTheirProof();
    return 'message' in theirs ? theirs : null;
  }

  failure(message: string, expected: string): HandshakeFailure {
    const got = this.socket.isClosed
      ? `connection closed (${this.socket.closeReason})`
      : `frames ${
          this.socket
            .pending()
            .map((f) => hex(f, 24))
            .join(', ') || 'none'
        }`;
    return { message, sent: this.sent.join('; ') || 'nothing', expected, got };
  }
}

/** Extra time a proof may take to solve: 2^bits hashes at ≥ 1 M hashes/s, doubled. */
export function proofAllowanceMs(bits: number): number {
  return Math.ceil((2 ** bits / 1_000_000) * 2_000);
}

/** A loopback listener: the address the suite gives in HELLO, and where spawned nodes dial it. */
export class SuiteListener {
  private readonly accepted: FramedSocket[] = [];
  private readonly waiters: ((socket: FramedSocket) => void)[] = [];

  private constructor(readonly server: net.Server) {
    server.on('connection', (socket) => {
      const framed = FramedSocket.adopt(socket);
      const waiter = this.waiters.shift();
      if (waiter) waiter(framed);
      else this.accepted.push(framed);
    });
  }

  static open(context: CaseContext): Promise<SuiteListener> {
    return new Promise((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(context.track(new SuiteListener(server))));
    });
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The next inbound connection, or null after `timeoutMs`. */
  next(timeoutMs: number): Promise<FramedSocket | null> {
    const ready = this.accepted.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const take = (socket: FramedSocket): void => {
        clearTimeout(timer);
        resolve(socket);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(take), 1);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(take);
    });
  }

  destroy(): void {
    for (const socket of this.accepted) socket.destroy();
    this.server.close();
  }
}
