/**
 * A small client of the Gossip API (docs/protocol.md §3), for module authors' tools (`gossip
 * announce / subscribe / send-raw`) and the conformance suite. Framing works on the byte
 * stream (§1) through FrameReader; every outgoing frame goes out in ONE socket write (§1).
 *
 * FramedSocket is the transport underneath: a TCP connection that collects whole frames,
 * remembers how they arrived (chunk boundaries, for the "written whole" rule) and lets a
 * caller wait for a frame or for the close, always with a timeout.
 */
import net from 'node:net';
import {
  frameTypeOf,
  GossipAnnounce,
  GossipNotification,
  GossipNotify,
  GossipValidation,
  HEADER_SIZE,
  MessageType,
} from '../../generated/index.js';
import { FrameReader } from '../core/framer.js';
import { parseHostPort, type Address } from '../host-port.js';

/** How long connecting may take before it counts as failed. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Where a Gossip API listens: the project's one address type (runtime/host-port.ts). */
export type Endpoint = Address;

/** `host:port` or `[v6]:port` as an Endpoint; throws a one-line Error otherwise. */
export function parseEndpoint(text: string): Endpoint {
  const parsed = parseHostPort(text);
  if (!parsed.ok) throw new Error(`bad address ${JSON.stringify(text)}: ${parsed.reason}`);
  return { host: parsed.value.host, port: parsed.value.port };
}

/** `host:port` with brackets around IPv6 hosts. */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

type FrameWaiter = { accepts: (frame: Uint8Array) => boolean; settle: (frame: Uint8Array | null) => void };

/** A TCP connection carrying Gossip frames (API or P2P: the framing is the same, §1). */
export class FramedSocket {
  private readonly reader = new FrameReader();
  /** Frames received and not yet taken, in arrival order. */
  private readonly inbox: Uint8Array[] = [];
  private readonly waiters = new Set<FrameWaiter>();
  private readonly closeWaiters = new Set<() => void>();
  /** Every received chunk's length, in order (to tell whether frames arrived whole). */
  readonly chunkLengths: number[] = [];
  /** All bytes received, in order (for failure reports). */
  receivedBytes = 0;
  /** Why the connection ended, or null while it is open. */
  closeReason: string | null = null;
  /** A framing error in what the remote sent (size below HEADER_SIZE or above MAX_FRAME_SIZE), if any. */
  framingError: string | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.markClosed('remote closed the connection'));
    socket.on('close', () => this.markClosed('connection closed'));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.markClosed(`socket error ${error.code ?? error.message}`),
    );
  }

  /** Connects to `endpoint` (optionally from `localHost`); rejects after `timeoutMs`. */
  static connect(endpoint: Endpoint, timeoutMs = CONNECT_TIMEOUT_MS, localHost?: string): Promise<FramedSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: endpoint.host, port: endpoint.port, localAddress: localHost });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${formatEndpoint(endpoint)} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${formatEndpoint(endpoint)}: ${error.code ?? error.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new FramedSocket(socket));
      });
    });
  }

  /** Wraps a socket that is already connected (e.g. accepted by a listener). */
  static adopt(socket: net.Socket): FramedSocket {
    return new FramedSocket(socket);
  }

  get isClosed(): boolean {
    return this.closeReason !== null;
  }

  /** Writes bytes in ONE socket write (§1: frames are never split by the sender). */
  write(bytes: Uint8Array): void {
    if (!this.isClosed) this.socket.write(bytes);
  }

  /**
   * The first received frame (already waiting or yet to come) that `accepts` takes out of
   * the inbox; null when none came within `timeoutMs` or the connection closed first.
   */
  take(timeoutMs: number, accepts: (frame: Uint8Array) => boolean = () => true): Promise<Uint8Array | null> {
    const index = this.inbox.findIndex(accepts);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] ?? null);
    if (this.isClosed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: FrameWaiter = {
        accepts,
        settle: (frame) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => waiter.settle(null), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Frames received and not taken yet (a copy). */
  pending(): Uint8Array[] {
    return [...this.inbox];
  }

  /** Resolves true once the connection is closed, false if still open after `timeoutMs`. */
  waitClosed(timeoutMs: number): Promise<boolean> {
    if (this.isClosed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.closeWaiters.delete(done);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.closeWaiters.delete(done);
        resolve(this.isClosed);
      }, timeoutMs);
      this.closeWaiters.add(done);
    });
  }

  /** Ends the connection (FIN) and forgets it; `destroy` is for an abrupt close. */
  close(): void {
    this.socket.end();
    this.socket.destroySoon();
  }

  destroy(): void {
    this.socket.destroy();
    this.markClosed('closed by us');
  }

  private receive(chunk: Buffer): void {
    this.chunkLengths.push(chunk.length);
    this.receivedBytes += chunk.length;
    let frames: Uint8Array[];
    try {
      frames = this.reader.push(chunk);
    } catch (error) {
      this.framingError = error instanceof Error ? error.message : String(error);
      this.destroy();
      return;
    }
    for (const frame of frames) this.deliver(frame);
  }

  private deliver(frame: Uint8Array): void {
    for (const waiter of this.waiters) {
      if (waiter.accepts(frame)) {
        waiter.settle(frame);
        return;
      }
    }
    this.inbox.push(frame);
  }

  private markClosed(reason: string): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    for (const waiter of [...this.waiters]) waiter.settle(null);
    for (const done of [...this.closeWaiters]) done();
  }
}

/** Frame type of a whole frame (§1), or -1 when it is too short to hold a header. */
export function frameType(frame: Uint8Array): number {
  return frame.length >= HEADER_SIZE ? frameTypeOf(frame) : -1;
}

/** A connection to a Gossip node's API port (§3). */
export class ApiClient {
  private constructor(readonly transport: FramedSocket) {}

  static async connect(endpoint: Endpoint | string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<ApiClient> {
    const target = typeof endpoint === 'string' ? parseEndpoint(endpoint) : endpoint;
    return new ApiClient(await FramedSocket.connect(target, timeoutMs));
  }

  get isClosed(): boolean {
    return this.transport.isClosed;
  }

  /** Subscribe this connection to `dataType` (§3 NOTIFY). */
  notify(dataType: number): void {
    this.transport.write(GossipNotify.encode({ dataType }));
  }

  /** Spread an item (§3 ANNOUNCE); no reply comes. */
  announce(message: GossipAnnounce): void {
    this.transport.write(GossipAnnounce.encode(message));
  }

  /** Answer a NOTIFICATION (§3 VALIDATION). */
  validate(messageId: number, valid: boolean): void {
    this.transport.write(GossipValidation.encode({ messageId, valid }));
  }

  /** Any bytes, as they are (malformed frames by hand), in one write. */
  sendRaw(bytes: Uint8Array): void {
    this.transport.write(bytes);
  }

  /**
   * The next NOTIFICATION that `accepts` (all by default), or null after `timeoutMs` or when
   * the connection closed. Any other frame type from the node is a protocol error (§3.1:
   * an API client only ever receives NOTIFICATION) and is left in the transport's inbox.
   */
  async nextNotification(
    timeoutMs: number,
    accepts: (notification: GossipNotification) => boolean = () => true,
  ): Promise<GossipNotification | null> {
    const frame = await this.transport.take(timeoutMs, (candidate) => {
      if (frameType(candidate) !== MessageType.GOSSIP_NOTIFICATION) return false;
      try {
        return accepts(GossipNotification.decode(candidate));
      } catch {
        return false;
      }
    });
    return frame === null ? null : GossipNotification.decode(frame);
  }

  /** Every NOTIFICATION as it arrives, until the connection closes. */
  async *notifications(): AsyncGenerator<GossipNotification> {
    const POLL_MS = 60_000;
    for (;;) {
      const notification = await this.nextNotification(POLL_MS);
      if (notification) yield notification;
      else if (this.isClosed) return; // closed and nothing left to read
    }
  }

  /** Resolves when the node closes the connection (true), or false after `timeoutMs`. */
  waitClosed(timeoutMs: number): Promise<boolean> {
    return this.transport.waitClosed(timeoutMs);
  }

  close(): void {
    this.transport.close();
  }

  destroy(): void {
    this.transport.destroy();
  }
}
