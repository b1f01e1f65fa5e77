/**
 * The suite acting as a Gossip peer (docs/protocol.md §4), and the project's tests doing the
 * same: it dials a node's P2P port or is dialed by one (listener.ts), runs the §4.2 handshake
 * step by step or whole, from either side, so that a case can stop or cheat at any step, and
 * answers PEER REQUESTs. Proofs are solved on the shared worker pool (proofs.ts).
 */
import { isIPv4 } from 'node:net';
import { FramedSocket, frameType, type Endpoint } from '../runtime/entry/client.js';
import {
  decodeFrame,
  GossipHello,
  GossipPeerRequest,
  GossipPeerResponse,
  GossipVerificationRequest,
  GossipVerificationResponse,
  MessageType,
  type Frame,
} from '../runtime/entry/codec.js';
import { hasProofOfWork } from '../runtime/entry/pow.js';
import { hex } from './bytes.js';
import { nonceAt, proofAllowanceMs, prove, randomNonce } from './proofs.js';
import type { CaseContext, SuiteSettings } from './types.js';

/** What the peer must know of the node's settings: the proof difficulty and how long to wait. */
export type PeerSettings = Pick<SuiteSettings, 'powDifficulty' | 'waitMs'>;

export interface HandshakeFailure {
  readonly message: string;
  readonly sent: string;
  readonly expected: string;
  readonly got: string;
}

/** The message of a frame of type `T`, as the codec decodes it. */
export type MessageOf<T extends Frame['type']> = Extract<Frame, { type: T }>['message'];

/** One P2P connection the suite holds, dialed or accepted. */
export class SuitePeer {
  /** Nonce of the VERIFICATION REQUEST we sent, if any. */
  ourNonce: bigint | null = null;
  /** Log of what we sent, for failure reports. */
  readonly sent: string[] = [];

  constructor(
    readonly socket: FramedSocket,
    private readonly settings: PeerSettings,
  ) {}

  /** Dials `target`, from `localHost` when given (so the node sees that source address). */
  static async connect(target: Endpoint, settings: PeerSettings, localHost?: string): Promise<SuitePeer> {
    return new SuitePeer(await FramedSocket.connect(target, undefined, localHost), settings);
  }

  /** Dials `target` and registers the connection with the case. */
  static async dial(context: CaseContext, target: Endpoint): Promise<SuitePeer> {
    return context.track(await SuitePeer.connect(target, context.settings));
  }

  send(label: string, frame: Uint8Array): void {
    this.sent.push(`${label} ${hex(frame)}`);
    this.socket.write(frame);
  }

  /** HELLO(listen_port): the dialing side's first frame (§4.2 item 1). */
  hello(listenPort: number): void {
    this.send('HELLO', GossipHello.encode({ listenPort }));
  }

  /** Sends our VERIFICATION REQUEST with a fresh nonce. */
  requestVerification(): void {
    this.ourNonce = randomNonce();
    this.send('VERIFICATION REQUEST', GossipVerificationRequest.encode({ nonce: this.ourNonce }));
  }

  /** §4.2 step 1, dialing side: HELLO(listen_port) and VERIFICATION REQUEST(nonce). */
  greet(listenPort: number): void {
    this.hello(listenPort);
    this.requestVerification();
  }

  /** The next frame of `type` (others stay queued), or null after `timeoutMs`. */
  expect(type: number, timeoutMs = this.settings.waitMs): Promise<Uint8Array | null> {
    return this.socket.take(timeoutMs, (frame) => frameType(frame) === type);
  }

  /** The next frame of `type`, decoded; throws (naming what came instead) when none came in `timeoutMs`. */
  async receive<T extends Frame['type']>(type: T, timeoutMs = this.settings.waitMs): Promise<MessageOf<T>> {
    const frame = await this.expect(type, timeoutMs);
    if (!frame) {
      const { message, got } = this.failure(`no frame of type ${type} within ${timeoutMs} ms`, '');
      throw new Error(`${message}: ${got}`);
    }
    return (decodeFrame(frame) as Extract<Frame, { type: T }>).message as MessageOf<T>;
  }

  /** Our valid VERIFICATION RESPONSE to their request `theirNonce` (not sent). */
  answer(theirNonce: bigint): Promise<Uint8Array> {
    return prove(GossipVerificationResponse.encode({ nonce: theirNonce, challenge: 0n }), this.settings.powDifficulty);
  }

  /**
   * Their VERIFICATION REQUEST, answered with a valid proof; a failure when the node sent
   * none or closed.
   */
  async answerTheirRequest(): Promise<{ proof: Uint8Array } | HandshakeFailure> {
    const request = await this.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
    if (!request) return this.failure('the node sent no VERIFICATION REQUEST', 'VERIFICATION REQUEST (506, size 12)');
    const proof = await this.answer(nonceAt(request));
    this.send('VERIFICATION RESPONSE', proof);
    return { proof };
  }

  /**
   * Checks their VERIFICATION RESPONSE to our nonce (§4.1): right nonce, enough zero bits.
   * Time for the proof is allowed on top of waitMs.
   */
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

  /** The full §4.2 handshake as the dialing side, which proves first; null when both proofs checked out. */
  async handshake(listenPort: number): Promise<HandshakeFailure | null> {
    this.greet(listenPort);
    const ours = await this.answerTheirRequest();
    if ('message' in ours) return ours;
    const theirs = await this.checkTheirProof();
    return 'message' in theirs ? theirs : null;
  }

  /**
   * The full §4.2 handshake as the accepting side: our VERIFICATION REQUEST at once, the
   * dialer's HELLO, its proof (checked), and only then ours. The dialer's listen port, or a failure.
   */
  async acceptHandshake(): Promise<{ listenPort: number } | HandshakeFailure> {
    this.requestVerification();
    const hello = await this.expect(MessageType.GOSSIP_HELLO);
    if (!hello) return this.failure('the dialing node sent no HELLO', 'HELLO (508, size 8)');
    const theirs = await this.checkTheirProof();
    if ('message' in theirs) return theirs;
    const ours = await this.answerTheirRequest();
    if ('message' in ours) return ours;
    return { listenPort: GossipHello.decode(hello).listenPort };
  }

  /**
   * Waits for the node's next PEER REQUEST and answers it with one proven PEER RESPONSE that
   * lists `addresses` (IPv4, at most the request's limit). The request, or null when none
   * came within `timeoutMs`.
   */
  async answerPeerRequest(
    addresses: readonly Endpoint[],
    timeoutMs = this.settings.waitMs,
  ): Promise<GossipPeerRequest | null> {
    const frame = await this.expect(MessageType.GOSSIP_PEER_REQUEST, timeoutMs);
    if (!frame) return null;
    const request = GossipPeerRequest.decode(frame);
    const entries = addresses.slice(0, request.limit).map(ipv4Entry);
    const response = GossipPeerResponse.encode({ nonce: request.nonce, challenge: 0n, isIpv6: false, entries });
    this.send('PEER RESPONSE', await prove(response, this.settings.powDifficulty));
    return request;
  }

  /** A failure report: what we sent, what we expected, and what the connection shows instead. */
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

  destroy(): void {
    this.socket.destroy();
  }
}

/** A PEER RESPONSE entry for an IPv4 address (§4: 4 address bytes, then the port). */
function ipv4Entry(address: Endpoint): { addr: Uint8Array; port: number } {
  if (!isIPv4(address.host)) throw new Error(`the suite's peer lists IPv4 addresses only, not ${address.host}`);
  return { addr: Uint8Array.from(address.host.split('.').map(Number)), port: address.port };
}
