/**
 * A Connection stand-in for in-process unit tests of consumers and the P2P life cycle:
 * it records what is sent (decoded) and reports its close like a Server would.
 */
import { decodeFrame, type Frame } from '../../generated/index.js';
import type { Connection } from '../../runtime/core/connection.js';

let nextPort = 50_000;

export class FakeConnection {
  readonly sent: Frame[] = [];
  readonly sentBytes: Uint8Array[] = [];
  closeReason: string | null = null;
  /** As a Server keeps them: frames of this connection waiting in the receive queue, and whether it is read. */
  queuedFrames = 0;
  isPaused = false;
  readonly remotePort = nextPort++;
  readonly label: string;
  /** Called once when the connection closes (a Server tells its consumer). */
  onClose: (reason: string) => void = () => {};

  constructor(
    readonly remoteHost: string,
    readonly isInbound: boolean,
  ) {
    this.label = `fake ${remoteHost}:${this.remotePort}`;
  }

  get isClosed(): boolean {
    return this.closeReason !== null;
  }

  /** Set to make the fake's send queue full: `hasRoomFor` says no (sends still go through). */
  isQueueFull = false;

  hasRoomFor(_bytes: number): boolean {
    return !this.isClosed && !this.isQueueFull;
  }

  send(frame: Uint8Array): boolean {
    if (this.isClosed) return false;
    this.sentBytes.push(Uint8Array.from(frame));
    this.sent.push(decodeFrame(Uint8Array.from(frame)));
    return true;
  }

  close(reason: string): void {
    if (this.isClosed) return;
    this.closeReason = reason;
    this.onClose(reason);
  }

  /** The frames sent, by type. */
  sentOf<T extends Frame['type']>(type: T): Extract<Frame, { type: T }>[] {
    return this.sent.filter((frame): frame is Extract<Frame, { type: T }> => frame.type === type);
  }

  asConnection(): Connection {
    return this as unknown as Connection;
  }
}
