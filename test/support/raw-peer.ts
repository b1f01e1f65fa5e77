/**
 * A hand-driven P2P peer for tests: it speaks §4 frame by frame, so a test can follow the
 * life cycle correctly up to any point and then misbehave (bad proof, replayed nonce,
 * altered PEER RESPONSE, gossip before verification).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import {
  CHALLENGE_OFFSET,
  GossipHello,
  GossipVerificationRequest,
  GossipVerificationResponse,
  MessageType,
  decodeFrame,
  type Frame,
} from '../../generated/index.js';
import { FramedSocket, frameType } from '../../runtime/api/api-client.js';
import { proofDigest } from '../../runtime/pow/preimage.js';
import { leadingZeroBits } from '../../runtime/pow/verify.js';

const WAIT_MS = 5_000;

/**
 * Finds a challenge for `frame` (solved in place) the slow, obvious way: tests use few bits.
 * What is hashed follows the frame's type (runtime/pow/preimage.ts: a PEER RESPONSE hashes its
 * head and the digest of its address list).
 */
export function solveInPlace(frame: Uint8Array, difficultyBits: number): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  for (let challenge = 0n; ; challenge++) {
    view.setBigUint64(CHALLENGE_OFFSET, challenge);
    if (leadingZeroBits(proofDigest(frame)) >= difficultyBits) return;
  }
}

/** Finds a challenge that FAILS the difficulty (a bad proof). */
export function failInPlace(frame: Uint8Array, difficultyBits: number): void {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  for (let challenge = 0n; ; challenge++) {
    view.setBigUint64(CHALLENGE_OFFSET, challenge);
    if (leadingZeroBits(proofDigest(frame)) < difficultyBits) return;
  }
}

export class RawPeer {
  readonly ourNonce = randomBytes(8).readBigUInt64BE(0);

  constructor(readonly socket: FramedSocket) {}

  /** Dials `host:port` from `localHost`. */
  static async dial(host: string, port: number, localHost?: string): Promise<RawPeer> {
    return new RawPeer(await FramedSocket.connect({ host, port }, WAIT_MS, localHost));
  }

  /** Listens on `host` (any port); resolves with the listener and a promise of the first peer. */
  static async listen(host: string): Promise<{ server: net.Server; port: number; accepted: Promise<RawPeer> }> {
    const server = net.createServer();
    const accepted = new Promise<RawPeer>((resolve) =>
      server.once('connection', (socket) => resolve(new RawPeer(FramedSocket.adopt(socket)))),
    );
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return { server, port: (server.address() as net.AddressInfo).port, accepted };
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  sendHello(listenPort: number): void {
    this.send(GossipHello.encode({ listenPort }));
  }

  sendVerificationRequest(): void {
    this.send(GossipVerificationRequest.encode({ nonce: this.ourNonce }));
  }

  /** The next frame of `type` (others are skipped and kept), or throws after a wait. */
  async expect<T extends Frame['type']>(type: T): Promise<{ frame: Extract<Frame, { type: T }>; bytes: Uint8Array }> {
    const bytes = await this.socket.take(WAIT_MS, (frame) => frameType(frame) === type);
    if (!bytes) throw new Error(`no frame of type ${type} within ${WAIT_MS} ms (${this.socket.closeReason ?? 'open'})`);
    return { frame: decodeFrame(bytes) as Extract<Frame, { type: T }>, bytes };
  }

  /** Answers the node's VERIFICATION REQUEST; `tamper` may spoil the response first. */
  async answerVerification(
    difficultyBits: number,
    tamper: 'none' | 'bad-proof' | 'wrong-nonce' = 'none',
  ): Promise<Uint8Array> {
    const { frame } = await this.expect(MessageType.GOSSIP_VERIFICATION_REQUEST);
    const nonce = tamper === 'wrong-nonce' ? frame.message.nonce ^ 1n : frame.message.nonce;
    const response = GossipVerificationResponse.encode({ nonce, challenge: 0n });
    if (tamper === 'bad-proof') failInPlace(response, difficultyBits);
    else solveInPlace(response, difficultyBits);
    this.send(response);
    return response;
  }

  /** Checks the node's answer to our VERIFICATION REQUEST arrives (the node proves itself too). */
  async expectVerificationResponse(): Promise<void> {
    const { frame } = await this.expect(MessageType.GOSSIP_VERIFICATION_RESPONSE);
    if (frame.message.nonce !== this.ourNonce) throw new Error('node answered with another nonce');
  }

  /** Resolves true when the node closed the connection within `timeoutMs`. */
  isClosedWithin(timeoutMs: number): Promise<boolean> {
    return this.socket.waitClosed(timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
