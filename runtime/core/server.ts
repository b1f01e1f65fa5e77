/**
 * The Server of the design (midterm-report.md: "API_Server and P2P_Server are instances of
 * the class Server"): sockets, framing, decoding, limits and life cycle. Decoded frames wait
 * in its receive queue until the ReceivePump hands them to the Server's consumer
 * (runtime/core/frame-consumer.ts), which is all the protocol a Server knows.
 */
import net from 'node:net';
import { decodeFrame, DecodeError, type Frame } from '../../generated/index.js';
import { DROPPABLE_TYPES, MAX_FRAME_SIZE, PRIORITY_TYPES } from '../../generated/index.js';
import { AcceptErrors } from './accept-errors.js';
import { Connection, type ServerName } from './connection.js';
import type { Received } from './frame-consumer.js';
import { mustDropGossip, pausesReading } from './overflow-policy.js';
import { ReceiveQueue } from './receive-queue.js';
import type { ServerOptions } from './server-options.js';
import { StallWatchdog } from './stall-watchdog.js';

export type { ServerObserver, ServerOptions } from './server-options.js';

const CONNECT_TIMEOUT_MS = 5_000;

export class Server {
  readonly receiveQueue: ReceiveQueue<Received>;
  readonly connections = new Set<Connection>();
  private listener: net.Server | null = null;
  private readonly pausedConnections = new Set<Connection>();
  private readonly acceptErrors: AcceptErrors;
  private readonly maxQueuedBytesPerConnection: number;
  private stallWatchdog: StallWatchdog | null = null;

  constructor(private readonly options: ServerOptions) {
    this.receiveQueue = new ReceiveQueue<Received>(
      options.queueCapacity,
      (item) => PRIORITY_TYPES.has(item.frame.type),
      options.queueBytes ?? Infinity,
      (item) => item.bytes.length,
      (item) => item.connection,
    );
    this.maxQueuedBytesPerConnection = options.maxQueuedBytesPerConnection ?? (options.queueBytes ?? Infinity) / 8;
    this.acceptErrors = new AcceptErrors(`${options.name} listener`, options.logger, (code) =>
      options.observer.acceptFailed?.(options.name, code),
    );
    options.pump.add(this);
    options.readGate?.onChange((isOpen) => this.gateChanged(isOpen));
    if (options.sendStallTimeoutMs !== undefined) {
      this.stallWatchdog = new StallWatchdog(this.connections, options.sendStallTimeoutMs, (_connection, framesLost) =>
        options.observer.stalled?.(options.name, framesLost),
      );
    }
  }

  get name(): ServerName {
    return this.options.name;
  }

  /** Starts listening; resolves with the bound address (useful with port 0). */
  listen(host: string, port: number): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const listener = net.createServer({ noDelay: true }, (socket) => this.adopt(socket, true));
      listener.once('error', reject);
      listener.listen({ host, port, exclusive: true }, () => {
        listener.off('error', reject);
        listener.on('error', (error: NodeJS.ErrnoException) => this.acceptErrors.record(error));
        this.listener = listener;
        resolve(listener.address() as net.AddressInfo);
      });
    });
  }

  /** Dials a remote server from `localHost` (docs/protocol.md §4.2 item 4: bind before connecting). */
  dial(host: string, port: number, localHost?: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      // A host name resolves to the family of the address we bind (localhost may be ::1 first).
      const family = localHost ? net.isIP(localHost) : 0;
      const socket = net.connect({ host, port, localAddress: localHost, family, noDelay: true });
      const timer = setTimeout(
        () => socket.destroy(new Error(`connect timeout after ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(this.adopt(socket, false));
      });
    });
  }

  /** Frames waiting in this server's send queues, all connections together. */
  get queuedForSending(): number {
    let frames = 0;
    for (const connection of this.connections) frames += connection.sendQueue.length;
    return frames;
  }

  /** Bytes waiting to be sent, all connections together, the sockets' own buffers included (§7.4). */
  get bytesForSending(): number {
    let bytes = 0;
    for (const connection of this.connections) bytes += connection.sendQueue.pendingBytes;
    return bytes;
  }

  /**
   * Hands the next queued frame to the consumer (a priority frame first unless
   * `priorityFirst` is false); false when the queue was empty.
   */
  handleNext(priorityFirst = true): boolean {
    const received = this.receiveQueue.shift(priorityFirst);
    if (!received) return false;
    const { connection } = received;
    try {
      this.options.consumer.consume(received);
    } catch (error) {
      // A consumer bug must not take the daemon down: drop that connection, keep serving.
      this.options.logger.error({ err: error, connection: connection.label }, 'handler error');
      connection.close('internal error');
    } finally {
      connection.queuedFrames--;
      connection.queuedBytes -= received.bytes.length;
      if (connection.isPaused && this.hasRoomFor(connection)) this.resume(connection);
    }
    return true;
  }

  /** Resumes every paused connection the queue now has room for. */
  resumeWhereRoom(): void {
    for (const connection of this.pausedConnections) {
      if (this.hasRoomFor(connection)) this.resume(connection);
    }
  }

  /** Stops listening and closes every connection, flushing what is queued for it. */
  async close(): Promise<void> {
    this.stallWatchdog?.stop();
    const listener = this.listener;
    this.listener = null;
    for (const connection of [...this.connections]) connection.close('shutdown', true);
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  private adopt(socket: net.Socket, isInbound: boolean): Connection {
    const connection = new Connection(
      this.options.name,
      socket,
      isInbound,
      this.options.maxFrameSize ?? MAX_FRAME_SIZE,
      this.options.sendQueueMaxBytes,
      (closed, reason) => this.forget(closed, reason),
      (type, bytes) => this.options.observer.frameOut(this.options.name, type, bytes),
      (type) => this.options.observer.sendRefused?.(this.options.name, type),
      this.options.sendPressure ?? null,
    );
    this.connections.add(connection);
    socket.on('data', (chunk: Buffer) => this.receive(connection, chunk));
    socket.on('end', () => connection.close('remote closed'));
    socket.on('close', () => connection.close('socket closed'));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      connection.close(`socket error ${error.code ?? error.message}`),
    );
    this.options.consumer.opened(connection);
    return connection;
  }

  private receive(connection: Connection, chunk: Buffer): void {
    if (connection.isClosed) return;
    let frames: Uint8Array[];
    try {
      frames = connection.reader.push(chunk);
    } catch (error) {
      this.closeMalformed(connection, error);
      return;
    }
    let queued = 0;
    for (const bytes of frames) {
      if (!this.enqueue(connection, bytes)) break;
      queued++;
    }
    // Frames queued before a malformed one in the same chunk are still handled (like an
    // ANNOUNCE from a client that disconnects, §3.1): wake the handler for them too.
    if (queued > 0) this.options.pump.wake();
    if (connection.isClosed) return;
    try {
      connection.reader.throwIfFailed(); // a bad header after the frames above
    } catch (error) {
      this.closeMalformed(connection, error);
      return;
    }
    if (!this.hasRoomFor(connection) && pausesReading(this.options.overflow)) this.pause(connection);
  }

  /** Decodes and queues one frame; false when the connection was closed for it. */
  private enqueue(connection: Connection, bytes: Uint8Array): boolean {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      this.closeMalformed(connection, error);
      return false;
    }
    this.options.observer.frameIn(this.options.name, frame.type, bytes.length);
    const refusal = this.options.consumer.refuseType(connection, frame.type);
    if (refusal !== null) {
      this.options.observer.malformed(this.options.name, 'type-not-allowed');
      this.options.logger.debug({ connection: connection.label, type: frame.type }, `closing: ${refusal}`);
      connection.close(refusal);
      return false;
    }
    if (
      DROPPABLE_TYPES.has(frame.type) &&
      mustDropGossip(this.options.overflow, this.receiveQueue as ReceiveQueue<unknown>)
    ) {
      this.options.observer.dropped(this.options.name, 'receive-queue-full');
      return true;
    }
    connection.queuedFrames++;
    connection.queuedBytes += bytes.length;
    if (DROPPABLE_TYPES.has(frame.type)) connection.announcedBytes += bytes.length;
    this.receiveQueue.push({ connection, frame, bytes });
    return true;
  }

  private closeMalformed(connection: Connection, error: unknown): void {
    const reason = error instanceof DecodeError || hasCode(error) ? error.code : 'malformed';
    this.options.observer.malformed(this.options.name, reason);
    const message = error instanceof Error ? error.message : String(error);
    this.options.logger.debug({ connection: connection.label, reason }, `closing malformed: ${message}`);
    connection.close(`malformed: ${message}`);
  }

  /**
   * Whether `connection` may be read: under its share of the queue, and while the queue is
   * full only if none of its frames waits there. Not "nobody while the queue is full": one
   * read of a flooding connection (up to 64 KiB, 8,192 VALIDATIONs) fills it, and every
   * other connection then waited until the whole backlog was handled (bench:soak --mode
   * flood: a probe client went unread for 3 s). A connection read while the queue is full
   * adds at most one read before it is paused; it is read again once its frames are handled.
   */
  private hasRoomFor(connection: Connection): boolean {
    return (
      connection.queuedFrames < this.options.maxQueuedPerConnection &&
      connection.queuedBytes < this.maxQueuedBytesPerConnection &&
      (!this.receiveQueue.isFull || connection.queuedFrames === 0) &&
      (this.options.readGate?.admits(connection.announcedBytes) ?? true)
    );
  }

  /**
   * The read gate shut: from now on each client may announce its allowance before it is
   * paused (counted from the shutting, not from the last opening: a module announcing now
   * and then would otherwise have used it up long before); it opened: read everyone again.
   */
  private gateChanged(isOpen: boolean): void {
    if (isOpen) this.resumeWhereRoom();
    else for (const connection of this.connections) connection.announcedBytes = 0;
  }

  private pause(connection: Connection): void {
    if (connection.isClosed) return;
    connection.isPaused = true;
    this.pausedConnections.add(connection);
    connection.socket.pause();
  }

  private resume(connection: Connection): void {
    connection.isPaused = false;
    this.pausedConnections.delete(connection);
    if (!connection.isClosed) connection.socket.resume();
  }

  private forget(connection: Connection, reason: string): void {
    this.connections.delete(connection);
    this.pausedConnections.delete(connection);
    this.options.logger.debug({ connection: connection.label }, `closed: ${reason}`);
    this.options.consumer.closed(connection, reason);
  }
}

function hasCode(error: unknown): error is { code: string } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}
