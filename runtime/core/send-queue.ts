/**
 * The send queue between the gossip handler and one connection's socket
 * (midterm-report.md, "Architecture": s_q).
 *
 * Frames are queued whole and flushed on the next turn of the event loop, corked into one
 * writev: several whole frames may share a write, a frame is never split across writes
 * (docs/protocol.md §1). Memory is bounded by `maxBytes` (queued here plus unsent in the
 * socket); `enqueue` refuses a frame beyond it and the caller decides what that means
 * (API: the subscriber is too slow, the notification is dropped and counted; P2P: best
 * effort gossip, dropped and counted).
 */
import type { Socket } from 'node:net';
import { Fifo } from './fifo.js';

export class SendQueue {
  private readonly frames = new Fifo<Uint8Array>();
  private queuedBytes = 0;
  private isFlushScheduled = false;
  private isClosed = false;

  constructor(
    private readonly socket: Socket,
    readonly maxBytes: number,
  ) {}

  /** Bytes accepted but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  get length(): number {
    return this.frames.length;
  }

  /** Queues one whole frame; false (nothing queued) when the queue is full or closed. */
  enqueue(frame: Uint8Array): boolean {
    if (this.isClosed || this.pendingBytes + frame.length > this.maxBytes) return false;
    this.frames.push(frame);
    this.queuedBytes += frame.length;
    if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Stops accepting frames; already queued ones are still flushed by `flushNow`. */
  close(): void {
    this.isClosed = true;
  }

  /** Hands every queued frame to the socket in one corked batch. */
  flushNow(): void {
    this.flush();
  }

  private flush(): void {
    this.isFlushScheduled = false;
    if (this.frames.length === 0 || this.socket.destroyed) return;
    this.socket.cork();
    let frame: Uint8Array | undefined;
    while ((frame = this.frames.shift()) !== undefined) {
      this.queuedBytes -= frame.length;
      this.socket.write(frame);
    }
    this.socket.uncork();
  }
}
