/** What a Server reports and how it is set up (runtime/core/server.ts). */
import type { Logger } from 'pino';
import type { ServerName } from './connection.js';
import type { FlowGate } from './flow-gate.js';
import type { FrameConsumer } from './frame-consumer.js';
import type { OverflowPolicy } from './overflow-policy.js';
import type { Pump } from './receive-pump.js';

/** Counters the Server reports; the daemon wires them to Prometheus. */
export interface ServerObserver {
  /** A decoded frame of `bytes` bytes, header included. */
  frameIn(server: ServerName, type: number, bytes: number): void;
  /** A frame was queued for sending: its type and size in bytes. */
  frameOut(server: ServerName, type: number, bytes: number): void;
  malformed(server: ServerName, reason: string): void;
  dropped(server: ServerName, reason: string): void;
  /** A frame `send` refused: the remote's send queue is full (docs/protocol.md §7.4). */
  sendRefused?(server: ServerName, type: number): void;
  /** A connection closed for a send queue stalled past the timeout, with the frames it held. */
  stalled?(server: ServerName, framesLost: number): void;
  /** The listener failed to accept (EMFILE, ENFILE, …; §7.5). */
  acceptFailed?(server: ServerName, code: string): void;
}

export interface ServerOptions {
  readonly name: ServerName;
  readonly consumer: FrameConsumer;
  readonly observer: ServerObserver;
  readonly logger: Logger;
  /** Drains this Server's receive queue (and the other Servers') into the consumers. */
  readonly pump: Pump;
  /** Items in the receive queue before the Server stops reading or drops. */
  readonly queueCapacity: number;
  /** Bytes in the receive queue before the Server stops reading or drops (`receive_queue_bytes`). */
  readonly queueBytes?: number;
  /** What happens when the receive queue fills (runtime/core/overflow-policy.ts). */
  readonly overflow: OverflowPolicy;
  /** Frames one connection may have waiting before it is paused (fairness). */
  readonly maxQueuedPerConnection: number;
  /** Bytes one connection may have waiting before it is paused; default an eighth of `queueBytes`. */
  readonly maxQueuedBytesPerConnection?: number;
  /** Send queues report congestion to this gate (P2P: docs/protocol.md §7.3). */
  readonly sendPressure?: FlowGate;
  /** While this gate is shut, clients past their allowance are not read (§7.3). */
  readonly readGate?: FlowGate;
  /** Close a connection whose send queue stayed full this long (`send_stall_timeout`); none if absent. */
  readonly sendStallTimeoutMs?: number;
  /** Bytes queued for sending to one connection before `send` refuses. */
  readonly sendQueueMaxBytes: number;
  readonly maxFrameSize?: number;
}
