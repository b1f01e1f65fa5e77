// Cuts a TCP byte stream into whole frames (docs/protocol.md §1): framing works on the stream,
// never on read boundaries, so a frame split into 1-byte reads and many frames in one read
// both come out whole.
import { frameSizeOf, HEADER_SIZE, MAX_FRAME_SIZE, SIZE_FIELD_END } from '../../generated/index.js';
import { FramingError } from '../errors.js';

export { FramingError };

/** Accumulates chunks and returns every frame they complete. */
export class FrameReader {
  readonly maxFrameSize: number;
  /** Holds the incomplete tail of the stream in bytes 0..pendingLength; grows by doubling. */
  private pending = new Uint8Array(0);
  private pendingLength = 0;
  /** A bad header seen after whole frames: those are returned first, then this is thrown. */
  private failure: FramingError | null = null;

  constructor(maxFrameSize: number = MAX_FRAME_SIZE) {
    if (!Number.isInteger(maxFrameSize) || maxFrameSize < HEADER_SIZE || maxFrameSize > MAX_FRAME_SIZE) {
      throw new RangeError(`maxFrameSize must be an integer in ${HEADER_SIZE}..${MAX_FRAME_SIZE}, got ${maxFrameSize}`);
    }
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes buffered towards the next, incomplete frame. */
  get bufferedBytes(): number {
    return this.pendingLength;
  }

  /**
   * Adds a chunk; returns the whole frames it completes, in order. A frame cut from a fresh
   * chunk is a view into that chunk when it is a Buffer (Buffer#slice does not copy): Node
   * never reuses a chunk it handed out, but whoever keeps a frame's bytes for long should
   * copy them, or the whole chunk stays in memory (runtime/core/item.ts withOwnData).
   * Throws FramingError on a header announcing size < HEADER_SIZE or > maxFrameSize. When whole
   * frames precede the bad header in the stream, they are returned first and the error is
   * thrown by `throwIfFailed` (or the next `push`): nothing before it is lost.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    this.throwIfFailed();
    if (this.pendingLength === 0) return this.cut(chunk, chunk.length);
    this.append(chunk);
    return this.cut(this.pending, this.pendingLength);
  }

  /** Throws the framing error found after the frames the last `push` returned, if any. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Returns the frames in buffer[0..length) and keeps the incomplete rest as pending. */
  private cut(buffer: Uint8Array, length: number): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (length - offset >= SIZE_FIELD_END) {
      const size = frameSizeOf(buffer, offset);
      const failure =
        size < HEADER_SIZE
          ? new FramingError('size-too-small', `frame size ${size} is smaller than the ${HEADER_SIZE}-byte header`)
          : size > this.maxFrameSize
            ? new FramingError('too-large', `frame size ${size} exceeds the limit of ${this.maxFrameSize} bytes`)
            : null;
      if (failure) {
        this.failure = failure;
        this.pendingLength = 0;
        if (frames.length === 0) throw failure;
        return frames;
      }
      if (length - offset < size) break;
      frames.push(buffer.slice(offset, offset + size));
      offset += size;
    }
    const rest = length - offset;
    if (buffer === this.pending) {
      this.pending.copyWithin(0, offset, length);
      this.pendingLength = rest;
    } else {
      this.pendingLength = 0;
      if (rest > 0) this.append(buffer.subarray(offset, length));
    }
    return frames;
  }

  private append(bytes: Uint8Array): void {
    const needed = this.pendingLength + bytes.length;
    if (needed > this.pending.length) {
      // Doubling keeps a frame that arrives one byte at a time linear, not quadratic.
      const grown = new Uint8Array(Math.max(needed, this.pending.length * 2, 64));
      grown.set(this.pending.subarray(0, this.pendingLength), 0);
      this.pending = grown;
    }
    this.pending.set(bytes, this.pendingLength);
    this.pendingLength = needed;
  }
}
