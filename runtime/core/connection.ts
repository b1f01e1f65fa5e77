/**
 * One TCP connection of a Server: framing on the byte stream, decoding, the per-connection
 * share of the receive queue, and the connection's send queue.
 */
import type { Socket } from 'node:net';
import { frameTypeOf } from '../../generated/index.js';
import { FrameReader } from './framer.js';
import { SendQueue, type SendPressure } from './send-queue.js';

export type ServerName = 'api' | 'p2p';

let nextConnectionId = 1;

/** A graceful close (shutdown) waits this long for the remote's FIN before destroying. */
const GRACEFUL_CLOSE_MS = 500;

export class Connection {
  readonly id = nextConnectionId++;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly localHost: string;
  readonly localPort: number;
  readonly reader: FrameReader;
  readonly sendQueue: SendQueue;
  /** Frames of this connection waiting in the receive queue, and their bytes. */
  queuedFrames = 0;
  queuedBytes = 0;
  /** ANNOUNCE bytes received since the flow gate last shut (runtime/core/flow-gate.ts). */
  announcedBytes = 0;
  isPaused = false;
  closeReason: string | null = null;

  constructor(
    readonly server: ServerName,
    readonly socket: Socket,
    readonly isInbound: boolean,
    maxFrameSize: number,
    sendQueueMaxBytes: number,
    private readonly onClosed: (connection: Connection, reason: string) => void,
    private readonly onSent: (type: number, bytes: number) => void,
    private readonly onRefused: (type: number) => void = () => {},
    sendPressure: SendPressure | null = null,
  ) {
    this.remoteHost = stripIpv4Mapping(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localHost = stripIpv4Mapping(socket.localAddress ?? '');
    this.localPort = socket.localPort ?? 0;
    this.reader = new FrameReader(maxFrameSize);
    this.sendQueue = new SendQueue(socket, sendQueueMaxBytes, sendPressure);
  }

  get isClosed(): boolean {
    return this.closeReason !== null;
  }

  /** `host:port` of the remote end, IPv6 in brackets, for logs. */
  get label(): string {
    const host = this.remoteHost.includes(':') ? `[${this.remoteHost}]` : this.remoteHost;
    return `${this.server}#${this.id} ${host}:${this.remotePort}`;
  }

  /** Whether `send` would take a frame of `bytes` now (a refused send is counted as a drop). */
  hasRoomFor(bytes: number): boolean {
    return this.sendQueue.hasRoomFor(bytes);
  }

  /** Queues one whole frame for sending; false when the connection is closed or too far behind. */
  send(frame: Uint8Array): boolean {
    if (!this.sendQueue.enqueue(frame)) {
      if (!this.isClosed) this.onRefused(frameTypeOf(frame));
      return false;
    }
    this.onSent(frameTypeOf(frame), frame.length);
    return true;
  }

  /**
   * Closes the connection once. `graceful` flushes what is queued first (shutdown);
   * otherwise the socket is destroyed at once (malformed input: docs/protocol.md §1).
   */
  close(reason: string, graceful = false): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    this.sendQueue.close();
    if (graceful) {
      this.sendQueue.flushNow();
      this.socket.end();
      // Not unref'd: a socket paused for backpressure keeps no handle active, so an
      // unref'd timer would let the loop run dry with the close unfinished (exit code 13).
      const timer = setTimeout(() => this.socket.destroy(), GRACEFUL_CLOSE_MS);
      this.socket.once('close', () => clearTimeout(timer));
    } else {
      this.socket.destroy();
    }
    this.onClosed(this, reason);
  }
}

/** Node reports IPv4 peers of a dual-stack socket as ::ffff:a.b.c.d; we want a.b.c.d. */
function stripIpv4Mapping(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
