// The generated codecs against hand-written vectors (docs/protocol.md §2–§4), extremes, and every
// decode and encode rule.
import assert from 'node:assert/strict';
import {
  CHALLENGE_OFFSET,
  DecodeError,
  EncodeError,
  GossipAnnounce,
  GossipHello,
  GossipNotification,
  GossipNotify,
  GossipPeerRequest,
  GossipPeerResponse,
  GossipValidation,
  GossipVerificationRequest,
  GossipVerificationResponse,
  HEADER_SIZE,
  MAX_FRAME_SIZE,
  MessageType,
  decodeFrame,
  encodeFrame,
  type DecodeErrorCode,
  type Frame,
} from '../generated/index.js';
import { INVALID_VECTORS, VALID_VECTORS, fromHex, toHex } from './vectors/messages.js';

const U64_MAX = 0xffff_ffff_ffff_ffffn;

function roundTrip(frame: Frame): Frame {
  const bytes = encodeFrame(frame);
  assert.equal((bytes[0]! << 8) | bytes[1]!, bytes.length, 'size field counts the whole frame');
  return decodeFrame(bytes);
}

function assertDecodeError(action: () => unknown, code: DecodeErrorCode, field?: string, offset?: number): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof DecodeError, `expected DecodeError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (field !== undefined) assert.equal(error.field, field);
    if (offset !== undefined) assert.equal(error.offset, offset);
    assert.ok(!error.message.includes('\n'), 'one-line message');
    return true;
  });
}

function assertEncodeError(action: () => unknown, code: 'out-of-range' | 'too-large', field: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof EncodeError, `expected EncodeError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.field, field);
    return true;
  });
}

describe('generated codecs', () => {
  describe('registry', () => {
    it('has the twelve Gossip types of docs/protocol.md §2 and the header constants', () => {
      assert.deepEqual(MessageType, {
        GOSSIP_ANNOUNCE: 500,
        GOSSIP_NOTIFY: 501,
        GOSSIP_NOTIFICATION: 502,
        GOSSIP_VALIDATION: 503,
        GOSSIP_PEER_REQUEST: 504,
        GOSSIP_PEER_RESPONSE: 505,
        GOSSIP_VERIFICATION_REQUEST: 506,
        GOSSIP_VERIFICATION_RESPONSE: 507,
        GOSSIP_HELLO: 508,
        GOSSIP_IHAVE: 509,
        GOSSIP_GRAFT: 510,
        GOSSIP_PRUNE: 511,
      });
      assert.equal(HEADER_SIZE, 4);
      assert.equal(MAX_FRAME_SIZE, 65535);
    });

    it('puts the proof-of-work challenge at CHALLENGE_OFFSET in 505 and 507', () => {
      assert.equal(CHALLENGE_OFFSET, 12);
      const response = GossipVerificationResponse.encode({ nonce: 0n, challenge: 0x0102030405060708n });
      assert.equal(toHex(response.subarray(CHALLENGE_OFFSET, CHALLENGE_OFFSET + 8)), '0102030405060708');
      const peers = GossipPeerResponse.encode({
        nonce: 0n,
        challenge: 0x0102030405060708n,
        isIpv6: false,
        entries: [],
      });
      assert.equal(toHex(peers.subarray(CHALLENGE_OFFSET, CHALLENGE_OFFSET + 8)), '0102030405060708');
    });
  });

  describe('hand-written vectors', () => {
    for (const vector of VALID_VECTORS) {
      it(`decodes ${vector.name} (§${vector.section})`, () => {
        assert.deepEqual(decodeFrame(fromHex(vector.hex)), vector.frame);
      });
      if (vector.isCanonical) {
        it(`encodes ${vector.name} to exactly its bytes`, () => {
          assert.equal(toHex(encodeFrame(vector.frame)), toHex(fromHex(vector.hex)));
        });
      } else {
        it(`re-encodes ${vector.name} with reserved bits cleared`, () => {
          const encoded = encodeFrame(vector.frame);
          assert.notEqual(toHex(encoded), toHex(fromHex(vector.hex)));
          assert.deepEqual(decodeFrame(encoded), vector.frame);
        });
      }
    }
    for (const vector of INVALID_VECTORS) {
      it(`rejects ${vector.name} with ${vector.code} (§${vector.section})`, () => {
        assertDecodeError(() => decodeFrame(fromHex(vector.hex)), vector.code, vector.field, vector.offset);
      });
    }
  });

  describe('round trips at the extremes', () => {
    it('ANNOUNCE of 65535 bytes, ttl 0 and 255', () => {
      const data = Uint8Array.from({ length: MAX_FRAME_SIZE - 8 }, (_, i) => i & 0xff);
      for (const ttl of [0, 255]) {
        const frame: Frame = { type: 500, message: { ttl, dataType: 0xffff, data } };
        assert.deepEqual(roundTrip(frame), frame);
      }
      assert.equal(GossipAnnounce.encode({ ttl: 1, dataType: 0, data }).length, 65535);
    });

    it('NOTIFICATION with empty and maximal data', () => {
      for (const length of [0, MAX_FRAME_SIZE - 8]) {
        const frame: Frame = {
          type: 502,
          message: { messageId: 0xffff, dataType: 0, data: new Uint8Array(length).fill(7) },
        };
        assert.deepEqual(roundTrip(frame), frame);
      }
    });

    it('u64 nonce and challenge at 0 and 2^64-1', () => {
      for (const value of [0n, 1n, 2n ** 53n + 1n, U64_MAX]) {
        const frames: Frame[] = [
          { type: 504, message: { limit: 255, nonce: value } },
          { type: 506, message: { nonce: value } },
          { type: 507, message: { nonce: value, challenge: U64_MAX - value } },
        ];
        for (const frame of frames) assert.deepEqual(roundTrip(frame), frame);
      }
    });

    it('PEER RESPONSE with zero and the most entries of either family', () => {
      for (const isIpv6 of [false, true]) {
        const addrSize = isIpv6 ? 16 : 4;
        const most = Math.floor((MAX_FRAME_SIZE - 24) / (addrSize + 2));
        for (const count of [0, 1, 30, most]) {
          const entries = Array.from({ length: count }, (_, i) => ({
            addr: new Uint8Array(addrSize).fill(i & 0xff),
            port: (i * 7919) & 0xffff,
          }));
          const frame: Frame = { type: 505, message: { nonce: U64_MAX, challenge: 3n, isIpv6, entries } };
          assert.deepEqual(roundTrip(frame), frame);
        }
      }
    });

    it('VALIDATION, NOTIFY and HELLO at their field limits', () => {
      const frames: Frame[] = [
        { type: 503, message: { messageId: 0, valid: false } },
        { type: 503, message: { messageId: 0xffff, valid: true } },
        { type: 501, message: { dataType: 0xffff } },
        { type: 508, message: { listenPort: 0 } },
        { type: 508, message: { listenPort: 65535 } },
      ];
      for (const frame of frames) assert.deepEqual(roundTrip(frame), frame);
    });
  });

  describe('decode rules', () => {
    it('rejects a frame handed to the decoder of another type with wrong-type', () => {
      assertDecodeError(() => GossipNotify.decode(fromHex('0008 01f7 1234 0001')), 'wrong-type', 'type', 2);
    });

    it('rejects every fixed-size message one byte longer or shorter with wrong-fixed-size', () => {
      const codecs = [
        GossipNotify,
        GossipValidation,
        GossipPeerRequest,
        GossipVerificationRequest,
        GossipVerificationResponse,
        GossipHello,
      ];
      for (const codec of codecs) {
        for (const delta of [-1, 1]) {
          const good = encodeFrame(decodeFrame(goodFrameOf(codec.type)));
          const size = good.length + delta;
          const bad = new Uint8Array(size);
          bad.set(good.subarray(0, Math.min(size, good.length)));
          bad[0] = size >> 8;
          bad[1] = size & 0xff;
          assertDecodeError(() => codec.decode(bad), 'wrong-fixed-size', 'size', 0);
        }
      }
    });

    it('returns data as a view into the input, without copying', () => {
      const bytes = fromHex('000b 01f6 abcd 0539 686921');
      const message = GossipNotification.decode(bytes);
      assert.equal(message.data.buffer, bytes.buffer);
      assert.equal(message.data.byteOffset, 8);
    });

    it('decodes a frame that is itself a view at a non-zero offset', () => {
      const backing = fromHex('ffff 0008 01fc 1771 0000 ffff');
      assert.deepEqual(GossipHello.decode(backing.subarray(2, 10)), { listenPort: 6001 });
    });
  });

  describe('encode rules', () => {
    it('rejects values that do not fit their field instead of masking them', () => {
      assertEncodeError(
        () => GossipAnnounce.encode({ ttl: 256, dataType: 0, data: new Uint8Array(0) }),
        'out-of-range',
        'ttl',
      );
      assertEncodeError(
        () => GossipAnnounce.encode({ ttl: -1, dataType: 0, data: new Uint8Array(0) }),
        'out-of-range',
        'ttl',
      );
      assertEncodeError(
        () => GossipAnnounce.encode({ ttl: 1.5, dataType: 0, data: new Uint8Array(0) }),
        'out-of-range',
        'ttl',
      );
      assertEncodeError(() => GossipNotify.encode({ dataType: 65536 }), 'out-of-range', 'dataType');
      assertEncodeError(
        () => GossipNotification.encode({ messageId: 2 ** 32, dataType: 0, data: new Uint8Array(0) }),
        'out-of-range',
        'messageId',
      );
      assertEncodeError(
        () => GossipValidation.encode({ messageId: Number.NaN, valid: true }),
        'out-of-range',
        'messageId',
      );
      assertEncodeError(() => GossipPeerRequest.encode({ limit: 300, nonce: 0n }), 'out-of-range', 'limit');
      assertEncodeError(() => GossipPeerRequest.encode({ limit: 1, nonce: 2n ** 64n }), 'out-of-range', 'nonce');
      assertEncodeError(() => GossipVerificationRequest.encode({ nonce: -1n }), 'out-of-range', 'nonce');
      assertEncodeError(
        () => GossipVerificationResponse.encode({ nonce: 0n, challenge: U64_MAX + 1n }),
        'out-of-range',
        'challenge',
      );
      assertEncodeError(() => GossipHello.encode({ listenPort: 70000 }), 'out-of-range', 'listenPort');
    });

    it('rejects a PEER RESPONSE entry whose address length does not match the family, or whose port does not fit', () => {
      const v4 = { addr: Uint8Array.of(127, 0, 0, 1), port: 1 };
      assertEncodeError(
        () => GossipPeerResponse.encode({ nonce: 0n, challenge: 0n, isIpv6: true, entries: [v4] }),
        'out-of-range',
        'entries[0].addr',
      );
      assertEncodeError(
        () =>
          GossipPeerResponse.encode({
            nonce: 0n,
            challenge: 0n,
            isIpv6: false,
            entries: [v4, { addr: new Uint8Array(16), port: 1 }],
          }),
        'out-of-range',
        'entries[1].addr',
      );
      assertEncodeError(
        () =>
          GossipPeerResponse.encode({
            nonce: 0n,
            challenge: 0n,
            isIpv6: false,
            entries: [{ addr: v4.addr, port: 65536 }],
          }),
        'out-of-range',
        'entries[0].port',
      );
    });

    it('rejects a message that would exceed 65535 bytes with too-large', () => {
      assertEncodeError(
        () => GossipAnnounce.encode({ ttl: 0, dataType: 0, data: new Uint8Array(MAX_FRAME_SIZE - 7) }),
        'too-large',
        'data',
      );
      assertEncodeError(
        () => GossipNotification.encode({ messageId: 0, dataType: 0, data: new Uint8Array(MAX_FRAME_SIZE) }),
        'too-large',
        'data',
      );
      const entries = Array.from({ length: Math.floor((MAX_FRAME_SIZE - 24) / 6) + 1 }, () => ({
        addr: new Uint8Array(4),
        port: 0,
      }));
      assertEncodeError(
        () => GossipPeerResponse.encode({ nonce: 0n, challenge: 0n, isIpv6: false, entries }),
        'too-large',
        'entries',
      );
    });

    it('writes reserved fields and bits as 0', () => {
      assert.equal(
        toHex(GossipAnnounce.encode({ ttl: 9, dataType: 2, data: new Uint8Array(0) })),
        '000801f4' + '09000002',
      );
      assert.equal(
        toHex(GossipPeerRequest.encode({ limit: 1, nonce: 0n })),
        '001001f8' + '01000000' + '0000000000000000',
      );
      assert.equal(
        toHex(GossipPeerResponse.encode({ nonce: 0n, challenge: 0n, isIpv6: true, entries: [] }).subarray(20)),
        '80000000',
      );
      assert.equal(toHex(GossipHello.encode({ listenPort: 1 })), '000801fc' + '00010000');
    });
  });
});

/** A canonical encoding of the first hand-written vector of a type. */
function goodFrameOf(type: number): Uint8Array {
  const vector = VALID_VECTORS.find((v) => v.frame.type === type && v.isCanonical);
  assert.ok(vector, `no vector for type ${type}`);
  return fromHex(vector.hex);
}
