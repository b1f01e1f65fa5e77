/**
 * The P2P side of the deliberately broken node (see broken-node.ts): the §4.2 handshake with
 * proofs of work solved synchronously (test-only: fine for the 4–8 bit difficulties the
 * tests use), flooding of ANNOUNCE between verified links, and four switchable bugs:
 *
 * - `solves-before-proof`: the accepting side solves the dialer's request at once, before
 *   the dialer proved anything (the old order: a free proof for any stranger, §4.2).
 * - `accepts-any-nonce`: a VERIFICATION RESPONSE's nonce is not checked, nor its reuse (§4.1).
 * - `skips-proof-check`: a VERIFICATION RESPONSE's zero bits are not checked (§4.1).
 * - `gossip-before-verification`: ANNOUNCE is taken from a peer that has not proved itself (§4.2).
 *
 * No peer exchange: it answers no PEER REQUEST (the tests run only the cases it supports).
 */
import { createHash, randomBytes } from 'node:crypto';
import type net from 'node:net';
import {
  CHALLENGE_OFFSET,
  decodeFrame,
  GossipHello,
  GossipVerificationRequest,
  GossipVerificationResponse,
  HANDSHAKE_TYPES,
  MessageType,
  type GossipAnnounce,
} from '../../../generated/index.js';
import { FrameReader } from '../../../runtime/core/framer.js';
import { leadingZeroBits } from '../../../runtime/pow/verify.js';

export type P2pBug = 'accepts-any-nonce' | 'skips-proof-check' | 'gossip-before-verification' | 'solves-before-proof';

export interface P2pSettings {
  readonly bugs: ReadonlySet<string>;
  readonly powDifficulty: number;
  readonly verificationTimeoutMs: number;
  readonly listenPort: number;
  /** An ANNOUNCE from a peer the node accepts. */
  readonly onAnnounce: (item: GossipAnnounce, from: net.Socket) => void;
  /** The link is verified both ways: it may receive pushes. */
  readonly onActive: (socket: net.Socket) => void;
  readonly onClosed: (socket: net.Socket) => void;
}

/** Solves a VERIFICATION RESPONSE frame in place, one hash at a time on this thread (test-only). */
function solve(frame: Uint8Array, bits: number): Uint8Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  for (let challenge = 0n; ; challenge++) {
    view.setBigUint64(CHALLENGE_OFFSET, challenge);
    if (leadingZeroBits(createHash('sha256').update(frame).digest()) >= bits) return frame;
  }
}

/** Runs one P2P link: `isDialer` says HELLO first (§4.2 step 1). */
export function runLink(socket: net.Socket, isDialer: boolean, settings: P2pSettings): void {
  const bugs = settings.bugs;
  const reader = new FrameReader();
  let ourNonce: bigint | null = randomBytes(8).readBigUInt64BE();
  let isPeerVerified = false;
  let hasSentProof = false;
  let isActive = false;
  /** The acceptor holds the dialer's request until the dialer's proof checked out (§4.2). */
  let heldRequest: bigint | null = null;
  const prove = (nonce: bigint): void => {
    socket.write(solve(GossipVerificationResponse.encode({ nonce, challenge: 0n }), settings.powDifficulty));
    hasSentProof = true;
    activateIfReady();
  };
  const close = (): void => {
    socket.destroy();
  };
  const timer = setTimeout(() => {
    if (!isPeerVerified) close();
  }, settings.verificationTimeoutMs);
  socket.on('close', () => {
    clearTimeout(timer);
    settings.onClosed(socket);
  });
  socket.on('error', close);
  const activateIfReady = (): void => {
    if (isActive || !isPeerVerified || !hasSentProof) return;
    isActive = true;
    settings.onActive(socket);
  };
  if (isDialer) socket.write(GossipHello.encode({ listenPort: settings.listenPort }));
  socket.write(GossipVerificationRequest.encode({ nonce: ourNonce }));

  socket.on('data', (chunk: Buffer) => {
    try {
      for (const bytes of reader.push(chunk)) {
        const frame = decodeFrame(bytes);
        const isAllowed =
          isPeerVerified ||
          HANDSHAKE_TYPES.has(frame.type) ||
          (frame.type === MessageType.GOSSIP_ANNOUNCE && bugs.has('gossip-before-verification'));
        if (!isAllowed) throw new Error(`type ${frame.type} before verification`);
        if (frame.type === MessageType.GOSSIP_VERIFICATION_REQUEST) {
          if (isDialer || isPeerVerified || bugs.has('solves-before-proof')) prove(frame.message.nonce);
          else heldRequest = frame.message.nonce;
        } else if (frame.type === MessageType.GOSSIP_VERIFICATION_RESPONSE) {
          const isNonceRight = bugs.has('accepts-any-nonce') || (ourNonce !== null && frame.message.nonce === ourNonce);
          const isProofRight =
            bugs.has('skips-proof-check') ||
            leadingZeroBits(createHash('sha256').update(bytes).digest()) >= settings.powDifficulty;
          if (!isNonceRight || !isProofRight) throw new Error('bad proof');
          ourNonce = null;
          isPeerVerified = true;
          if (heldRequest !== null) prove(heldRequest);
          heldRequest = null;
          activateIfReady();
        } else if (frame.type === MessageType.GOSSIP_ANNOUNCE) {
          settings.onAnnounce({ ...frame.message, data: Uint8Array.from(frame.message.data) }, socket);
        } else if (frame.type !== MessageType.GOSSIP_HELLO) {
          throw new Error(`type ${frame.type} not handled`);
        }
      }
    } catch {
      close();
    }
  });
}
