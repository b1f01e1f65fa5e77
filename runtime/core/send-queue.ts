/**
 * The send queue between the gossip handler and one connection's socket
 * (midterm-report.md, "Architecture": s_q).
 *
 * Frames are queued whole and flushed when the task that queued them ends (a microtask),
 * corked into one writev: the frames one turn of the receive pump sends share a write, a
 * frame is never split across writes (docs/protocol.md §1). Not on the next turn of the
 * event loop: that turn first reads every socket with data waiting, which under a flood
 * delayed each hop of an item by a whole turn (docs/memory.md).
 *
 * Memory is bounded by `maxBytes` (queued here plus unsent in the socket); `enqueue`
 * refuses a frame beyond it and the caller decides what that means (API: the subscriber is
 * too slow, the notification is dropped and counted; P2P: best effort gossip, dropped and
 * counted).
 */
import type { Socket } from 'node:net';
import { Fifo } from './fifo.js';

/**
 * Frames smaller than this are copied, a run of them into one buffer, rather than handed
 * to the socket one by one: each frame a socket holds costs a buffer entry and an
 * ArrayBuffer of its own, several times the 72 bytes of a small ANNOUNCE, and a queue
 * bounded in frame bytes then held five times its bound (docs/memory.md). Larger frames go
 * as they are: copying them would cost more than it saves.
 */
const COPY_BELOW_BYTES = 4 * 1024;

/**
 * Told when a queue crosses its watermarks or fills up (runtime/core/flow-gate.ts stops
 * reading announcers while a P2P queue is congested, docs/protocol.md §7.3).
 */
export interface SendPressure {
  readonly highBytes: number;
  readonly lowBytes: number;
  changed(queue: SendQueue): void;
}

export class SendQueue {
  private readonly frames = new Fifo<Uint8Array>();
  private queuedBytes = 0;
  /** Frames handed to the socket whose write has not completed (lost if the connection dies). */
  private framesInSocket = 0;
  /** Writes completed so far: the remote is reading while this moves. */
  private framesWritten = 0;
  private framesWrittenAtLastCheck = 0;
  private readonly written = (): void => {
    this.framesInSocket--;
    this.framesWritten++;
  };
  private isFlushScheduled = false;
  private readonly scheduledFlush = (): void => this.flush();
  private isClosed = false;
  /** Over the high watermark and not yet back under the low one. */
  isCongested = false;
  /** When a frame was last refused for want of room (null once there is room again). */
  fullSince: number | null = null;
  /** When the socket was last seen taking bytes, or was empty (see `checkPressure`). */
  progressAt = Date.now();

  constructor(
    private readonly socket: Socket,
    readonly maxBytes: number,
    private readonly pressure: SendPressure | null = null,
  ) {
    // The socket empties into the kernel without telling us, except by 'drain'.
    if (pressure) socket.on('drain', () => this.checkPressure());
  }

  /** True while frames are being refused: the remote reads slower than we send. */
  get isFull(): boolean {
    return this.fullSince !== null;
  }

  /** How long a backed-up queue (congested or full) has gone without a completed write; 0 if not backed up. */
  stuckFor(now = Date.now()): number {
    return this.isFull || this.isCongested ? now - this.progressAt : 0;
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  get length(): number {
    return this.frames.length;
  }

  /** Frames accepted and not yet written out: queued here or held by the socket. */
  get unsentFrames(): number {
    return this.frames.length + this.framesInSocket;
  }

  /** Whether a frame of `bytes` would be queued now (asked before a send that may wait instead, §4.8 item 5). */
  hasRoomFor(bytes: number): boolean {
    return !this.isClosed && this.pendingBytes + bytes <= this.maxBytes;
  }

  /** Queues one whole frame; false (nothing queued) when the queue is full or closed. */
  enqueue(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    if (!this.hasRoomFor(frame.length)) {
      if (this.fullSince === null) {
        this.fullSince = Date.now();
        this.pressure?.changed(this);
      }
      return false;
    }
    this.frames.push(frame);
    this.queuedBytes += frame.length;
    if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      queueMicrotask(this.scheduledFlush);
    }
    this.checkPressure();
    return true;
  }

  /**
   * Re-reads the watermarks: congested above `highBytes`, clear again below `lowBytes`;
   * no longer full once half the bound is free (hysteresis, so that one freed frame does
   * not flip it).
   */
  checkPressure(): void {
    const pending = this.pendingBytes;
    if (pending === 0 || this.framesWritten !== this.framesWrittenAtLastCheck) {
      this.progressAt = Date.now();
      this.framesWrittenAtLastCheck = this.framesWritten;
    }
    let changed = false;
    if (this.fullSince !== null && pending <= this.maxBytes / 2) {
      this.fullSince = null;
      changed = true;
    }
    if (this.pressure) {
      const congested = this.isCongested ? pending > this.pressure.lowBytes : pending > this.pressure.highBytes;
      if (congested !== this.isCongested) {
        this.isCongested = congested;
        changed = true;
      }
      if (changed) this.pressure.changed(this);
    }
  }

  /** Stops accepting frames; already queued ones are still flushed by `flushNow`. */
  close(): void {
    this.isClosed = true;
    this.fullSince = null;
    if (this.isCongested) {
      this.isCongested = false;
      this.pressure?.changed(this);
    }
  }

  /** Hands every queued frame to the socket in one corked batch. */
  flushNow(): void {
    this.flush();
  }

  private flush(): void {
    this.isFlushScheduled = false;
    if (this.frames.length === 0 || this.socket.destroyed) return;
    this.socket.cork();
    while (this.frames.length > 0) this.writeNext();
    this.socket.uncork();
  }

  /** Writes the next large frame as it is, or the run of small frames at the head as one buffer. */
  private writeNext(): void {
    const first = this.frames.shift()!;
    let batch = first;
    let count = 1;
    if (first.length < COPY_BELOW_BYTES && (this.frames.peek()?.length ?? Infinity) < COPY_BELOW_BYTES) {
      const run = [first];
      let bytes = first.length;
      for (
        let next = this.frames.peek();
        next !== undefined && next.length < COPY_BELOW_BYTES;
        next = this.frames.peek()
      ) {
        run.push(this.frames.shift()!);
        bytes += next.length;
      }
      batch = Buffer.allocUnsafeSlow(bytes);
      let offset = 0;
      for (const frame of run) {
        batch.set(frame, offset);
        offset += frame.length;
      }
      count = run.length;
    }
    this.queuedBytes -= batch.length;
    this.framesInSocket += count;
    this.socket.write(batch, count === 1 ? this.written : () => this.wroteRun(count));
  }

  private wroteRun(count: number): void {
    this.framesInSocket -= count;
    this.framesWritten += count;
  }
}
