/**
 * Server (runtime/core/server.ts) in-process over loopback: the overflow policies written where
 * each queue is made (runtime/README.md), malformed input closing one connection
 * (docs/protocol.md §1), and the handler being woken for every frame it was given.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import pino from 'pino';
import { GossipAnnounce, GossipNotify, GossipValidation, GossipVerificationRequest } from '../../generated/index.js';
import type { Connection } from '../../runtime/core/connection.js';
import { ALLOWANCE_WHILE_SHUT_BYTES, FlowGate } from '../../runtime/core/flow-gate.js';
import type { FrameConsumer } from '../../runtime/core/frame-consumer.js';
import type { SendQueue } from '../../runtime/core/send-queue.js';
import { Server, type ServerObserver, type ServerOptions } from '../../runtime/core/server.js';
import { waitFor } from '../support/wait-for.js';

interface Recorded {
  closed: Array<[Connection, string]>;
  malformed: string[];
  dropped: string[];
  /** [type, bytes] of every frame the server reported reading. */
  framesIn: Array<[number, number]>;
  wakes: number;
}

async function startServer(
  overrides: Partial<ServerOptions>,
  refused: ReadonlySet<number> = new Set(),
): Promise<{ server: Server; port: number; recorded: Recorded }> {
  const recorded: Recorded = { closed: [], malformed: [], dropped: [], framesIn: [], wakes: 0 };
  // Frames stay queued until the test takes them with handleNext (the pump below never drains).
  const consumer: FrameConsumer = {
    refuseType: (_connection, type) => (refused.has(type) ? `type ${type} refused` : null),
    opened: () => {},
    closed: (connection, reason) => recorded.closed.push([connection, reason]),
    consume: () => {},
  };
  const observer: ServerObserver = {
    frameIn: (_server, type, bytes) => recorded.framesIn.push([type, bytes]),
    frameOut: () => {},
    malformed: (_server, reason) => recorded.malformed.push(reason),
    dropped: (_server, reason) => recorded.dropped.push(reason),
  };
  const server = new Server({
    name: 'api',
    consumer,
    observer,
    logger: pino({ level: 'silent' }),
    pump: { add: () => {}, wake: () => recorded.wakes++ },
    queueCapacity: 100,
    overflow: 'pause',
    maxQueuedPerConnection: 10,
    sendQueueMaxBytes: 1024 * 1024,
    ...overrides,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { server, port, recorded };
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.on('error', () => {});
  return socket;
}

const until = (check: () => boolean, what: string): Promise<void> => waitFor(check, what, 5_000);

const announce = (n: number) => GossipAnnounce.encode({ ttl: 1, dataType: 1, data: Buffer.from(`item ${n}`) });

describe('Server (runtime/core/server.ts)', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it("'pause': a connection past its share of the queue is not read until the handler catches up", async () => {
    const started = await startServer({ overflow: 'pause', maxQueuedPerConnection: 10 });
    server = started.server;
    const socket = await connect(started.port);
    socket.write(Buffer.concat(Array.from({ length: 50 }, (_, n) => announce(n))));
    await until(() => server!.receiveQueue.length >= 10, 'frames queued');
    const [connection] = [...server.connections];
    assert.ok(connection);
    assert.equal(connection.isPaused, true);
    // One read may carry more than the share; the point is that reading stopped.
    const queuedWhilePaused = server.receiveQueue.length;
    // Shows that nothing more is read: no event to await, so give the socket a moment.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(server.receiveQueue.length, queuedWhilePaused, 'a paused connection was read');
    // The handler takes them: the connection is read again until all 50 arrived.
    let handled = 0;
    while (handled < 50) {
      if (server.handleNext()) {
        handled++;
      } else {
        server.resumeWhereRoom();
        await until(() => server!.receiveQueue.length > 0, `frame ${handled + 1} of 50 read after resuming`);
      }
    }
    assert.equal(started.recorded.closed.length, 0, 'a flooding client was closed instead of throttled');
    socket.destroy();
  });

  it("'pause': while one connection's read filled the queue, another is still read, one read at a time", async () => {
    const started = await startServer({ overflow: 'pause', queueCapacity: 20, maxQueuedPerConnection: 10 });
    server = started.server;
    const flooder = await connect(started.port);
    flooder.write(Buffer.concat(Array.from({ length: 50 }, (_, n) => announce(n))));
    await until(() => server!.receiveQueue.isFull, 'the flooder filling the queue');
    const module = await connect(started.port);
    const queued = server.receiveQueue.length;
    module.write(announce(1_000));
    await until(() => server!.receiveQueue.length === queued + 1, "the module's frame read although the queue is full");
    const moduleConnection = [...server.connections].find((c) => c.queuedFrames === 1)!;
    assert.equal(moduleConnection.isPaused, true, 'a connection with a frame waiting in a full queue is still read');
    // Round-robin: the flooder's frame, then the module's; once it is handled the module is read again.
    server.handleNext();
    server.handleNext();
    assert.equal(moduleConnection.queuedFrames, 0);
    assert.equal(moduleConnection.isPaused, false, "the module waits for the flooder's whole backlog");
    assert.equal(server.receiveQueue.isFull, true);
    module.write(announce(1_001));
    await until(() => moduleConnection.queuedFrames === 1, "the module's next frame read");
    flooder.destroy();
    module.destroy();
  });

  it('flow gate shut: a client may announce its allowance counted from the shutting, then is paused until it opens', async () => {
    const gate = new FlowGate();
    const congested = {
      isCongested: true,
      isFull: false,
      stuckFor: () => 0,
      checkPressure() {},
    } as unknown as SendQueue;
    const started = await startServer({ readGate: gate, queueCapacity: 10_000, maxQueuedPerConnection: 10_000 });
    server = started.server;
    const socket = await connect(started.port);
    const big = (n: number) => GossipAnnounce.encode({ ttl: 1, dataType: 1, data: Buffer.alloc(1_000, n) });
    const sendAndWait = async (from: number, count: number) => {
      const before = server!.receiveQueue.length;
      socket.write(Buffer.concat(Array.from({ length: count }, (_, n) => big(from + n))));
      await until(() => server!.receiveQueue.length === before + count, `${count} frames read`);
    };
    // More than the allowance while the gate is open: that does not count once it shuts.
    await sendAndWait(0, 2 * Math.ceil(ALLOWANCE_WHILE_SHUT_BYTES / 1_000));
    gate.changed(congested);
    assert.equal(gate.isOpen, false);
    const [connection] = [...server.connections];
    await sendAndWait(100, 1);
    assert.equal(connection!.isPaused, false, 'a client was held back for what it announced before the gate shut');
    await sendAndWait(200, Math.ceil(ALLOWANCE_WHILE_SHUT_BYTES / 1_000));
    assert.equal(connection!.isPaused, true, 'a client past its allowance was still read while the gate was shut');
    (congested as { isCongested: boolean }).isCongested = false;
    gate.changed(congested);
    assert.equal(connection!.isPaused, false, 'the gate opened but the client was not read again');
    socket.destroy();
  });

  it('reports each frame read with its type and its size in bytes, header included', async () => {
    const started = await startServer({});
    server = started.server;
    const socket = await connect(started.port);
    const frames = [announce(7), GossipVerificationRequest.encode({ nonce: 1n })];
    socket.write(Buffer.concat(frames));
    await until(() => started.recorded.framesIn.length === 2, 'two frames read');
    assert.deepEqual(started.recorded.framesIn, [
      [500, frames[0]!.length],
      [506, frames[1]!.length],
    ]);
    socket.destroy();
  });

  it("'drop-gossip': ANNOUNCE past the capacity is dropped and counted, other frames still queued", async () => {
    const started = await startServer({ overflow: 'drop-gossip', queueCapacity: 5, maxQueuedPerConnection: 1_000 });
    server = started.server;
    const socket = await connect(started.port);
    socket.write(
      Buffer.concat([
        ...Array.from({ length: 8 }, (_, n) => announce(n)),
        GossipVerificationRequest.encode({ nonce: 1n }),
      ]),
    );
    await until(() => started.recorded.dropped.length === 3, 'three drops');
    assert.deepEqual(started.recorded.dropped, ['receive-queue-full', 'receive-queue-full', 'receive-queue-full']);
    const types: number[] = [];
    for (let item = server.receiveQueue.shift(); item; item = server.receiveQueue.shift()) types.push(item.frame.type);
    assert.deepEqual(types, [500, 500, 500, 500, 500, 506]);
    socket.destroy();
  });

  it('queues VALIDATION ahead of other frames (the receive queue is a priority queue)', async () => {
    const started = await startServer({});
    server = started.server;
    const socket = await connect(started.port);
    socket.write(
      Buffer.concat([
        announce(1),
        GossipNotify.encode({ dataType: 3 }),
        GossipValidation.encode({ messageId: 9, valid: true }),
      ]),
    );
    await until(() => server!.receiveQueue.length === 3, 'three frames');
    assert.deepEqual(
      [server.receiveQueue.shift(), server.receiveQueue.shift(), server.receiveQueue.shift()].map(
        (item) => item?.frame.type,
      ),
      [503, 500, 501],
    );
    socket.destroy();
  });

  it('closes only the connection that sent a malformed frame, and says why once', async () => {
    const started = await startServer({});
    server = started.server;
    const [bad, good] = [await connect(started.port), await connect(started.port)];
    bad.write(Uint8Array.of(0, 2, 1, 0xf5)); // size 2 < 4
    await until(() => started.recorded.closed.length === 1, 'the close');
    assert.deepEqual(started.recorded.malformed, ['size-too-small']);
    assert.match(started.recorded.closed[0]![1], /^malformed: /);
    good.write(announce(1));
    await until(() => server!.receiveQueue.length === 1, 'the good frame');
    assert.equal(server.connections.size, 1);
    bad.destroy();
    good.destroy();
  });

  it('wakes the handler for frames queued before a malformed or refused frame of the same chunk', async () => {
    const started = await startServer({}, new Set([650]));
    server = started.server;
    const socket = await connect(started.port);
    const refused = Uint8Array.of(0, 8, 0x02, 0x8a, 0, 0, 0, 1); // type 650 (DHT)
    socket.write(Buffer.concat([announce(1), refused]));
    await until(() => started.recorded.closed.length === 1, 'the close');
    assert.equal(server.receiveQueue.length, 1, 'the ANNOUNCE before the refused frame was not queued');
    assert.ok(started.recorded.wakes > 0, 'the handler was never woken for the queued ANNOUNCE');
    socket.destroy();
  });
});
