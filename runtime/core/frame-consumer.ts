/**
 * What a Server hands its decoded frames to (runtime/api/api-consumer.ts,
 * runtime/p2p/p2p-consumer.ts): the one place that decides what a connection may send and
 * what each frame means. The Server owns sockets, framing, queues and backpressure; the
 * consumer owns the protocol.
 */
import type { Frame } from '../../generated/index.js';
import type { Connection } from './connection.js';

/** A decoded frame waiting in a Server's receive queue. */
export interface Received {
  readonly connection: Connection;
  readonly frame: Frame;
  /** The frame as received: proofs of work cover these exact bytes (docs/protocol.md §4.1). */
  readonly bytes: Uint8Array;
}

export interface FrameConsumer {
  /** null when `connection` may send `type` at all; otherwise why not (§1: the connection closes). */
  refuseType(connection: Connection, type: number): string | null;
  opened(connection: Connection): void;
  closed(connection: Connection, reason: string): void;
  /** Handles one frame, in the order of the receive queue (priority frames first). */
  consume(received: Received): void;
}
