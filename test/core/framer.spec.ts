// FrameReader cuts the byte stream, not the reads, into frames (docs/protocol.md §1, §6).
import assert from 'node:assert/strict';
import { FrameReader, FramingError } from '../../runtime/core/framer.js';
import { GossipAnnounce, GossipHello, GossipValidation, MAX_FRAME_SIZE } from '../../generated/index.js';

const hello = GossipHello.encode({ listenPort: 6001 });
const validation = GossipValidation.encode({ messageId: 7, valid: true });
const bigAnnounce = GossipAnnounce.encode({ ttl: 3, dataType: 9, data: new Uint8Array(MAX_FRAME_SIZE - 8).fill(0xab) });

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

describe('FrameReader', () => {
  it('returns a frame split into 1-byte pieces only when its last byte arrives', () => {
    const reader = new FrameReader();
    const frames: Uint8Array[] = [];
    bigAnnounce.forEach((byte, index) => {
      const out = reader.push(Uint8Array.of(byte));
      if (index < bigAnnounce.length - 1) assert.equal(out.length, 0);
      frames.push(...out);
    });
    assert.equal(frames.length, 1);
    assert.deepEqual(frames[0], bigAnnounce);
    assert.equal(reader.bufferedBytes, 0);
  });

  it('returns every frame of a chunk that holds many, in order', () => {
    const reader = new FrameReader();
    const chunk = concat(hello, validation, hello, validation, bigAnnounce, hello);
    const frames = reader.push(chunk);
    assert.deepEqual(frames, [hello, validation, hello, validation, bigAnnounce, hello]);
  });

  it('keeps a partial frame across chunk boundaries of every split point', () => {
    const stream = concat(hello, validation, hello);
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new FrameReader();
      const frames = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
      assert.deepEqual(frames, [hello, validation, hello], `cut at ${cut}`);
      assert.equal(reader.bufferedBytes, 0);
    }
  });

  it('reports the bytes buffered towards an incomplete frame', () => {
    const reader = new FrameReader();
    assert.deepEqual(reader.push(concat(hello, validation.subarray(0, 5))), [hello]);
    assert.equal(reader.bufferedBytes, 5);
  });

  it('hands out frames that own their bytes, unaffected by reuse of the chunk', () => {
    const reader = new FrameReader();
    const chunk = concat(hello, hello.subarray(0, 3));
    const [first] = reader.push(chunk);
    chunk.fill(0);
    const [second] = reader.push(hello.subarray(3));
    assert.deepEqual(first, hello);
    assert.deepEqual(second, hello);
  });

  it('throws FramingError size-too-small on a header with size < 4', () => {
    const reader = new FrameReader();
    assert.throws(
      () => reader.push(Uint8Array.of(0, 3, 1, 0xf4)),
      (error: unknown) => error instanceof FramingError && error.code === 'size-too-small',
    );
  });

  it('throws FramingError too-large on a size above the limit, as soon as the size is read', () => {
    const reader = new FrameReader(1024);
    assert.throws(
      () => reader.push(Uint8Array.of(0x04, 0x01)),
      (error: unknown) => error instanceof FramingError && error.code === 'too-large',
    );
    assert.deepEqual(
      new FrameReader(1024).push(GossipAnnounce.encode({ ttl: 0, dataType: 0, data: new Uint8Array(1016) })).length,
      1,
    );
  });

  it('returns the whole frames before a bad header first, then throws (nothing earlier is lost)', () => {
    const reader = new FrameReader();
    const frames = reader.push(concat(validation, hello, Uint8Array.of(0, 2, 0xff, 0xff)));
    assert.deepEqual(frames, [validation, hello]);
    assert.throws(
      () => reader.throwIfFailed(),
      (error: unknown) => error instanceof FramingError && error.code === 'size-too-small',
    );
    assert.throws(() => reader.push(hello), FramingError, 'the stream stays failed');
  });

  it('refuses a limit outside 4..65535', () => {
    assert.throws(() => new FrameReader(3), RangeError);
    assert.throws(() => new FrameReader(65536), RangeError);
  });
});
