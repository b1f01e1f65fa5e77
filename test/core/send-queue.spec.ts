/**
 * SendQueue (runtime/core/send-queue.ts) over a real loopback socket pair: whole frames only,
 * several frames of one turn in one write (docs/protocol.md §1), and the byte bound that stops a
 * subscriber that does not read from costing unbounded memory.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { SendQueue } from '../../runtime/core/send-queue.js';
import { waitFor } from '../support/wait-for.js';

interface Pair {
  /** Our end: the SendQueue writes here. */
  readonly local: net.Socket;
  /** The remote end, paused until a test reads it. */
  readonly remote: net.Socket;
  close(): void;
}

async function socketPair(): Promise<Pair> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const local = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  local.setNoDelay(true);
  await new Promise((resolve) => local.once('connect', resolve));
  const remote = await accepted;
  remote.pause();
  server.close();
  return {
    local,
    remote,
    close() {
      local.destroy();
      remote.destroy();
    },
  };
}

/** A frame of `size` bytes (size header, type 502, filler). */
function frame(size: number, fill = 0xab): Uint8Array {
  const bytes = new Uint8Array(size).fill(fill);
  bytes[0] = size >> 8;
  bytes[1] = size & 0xff;
  bytes[2] = 0x01;
  bytes[3] = 0xf6;
  return bytes;
}

/** Collects what the remote end receives, chunk by chunk, until `bytes` arrived. */
function receive(remote: net.Socket, bytes: number): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    remote.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= bytes) resolve(chunks);
    });
    remote.resume();
  });
}

describe('SendQueue (docs/protocol.md §1; runtime/README.md overflow policy)', () => {
  let pair: Pair;
  beforeEach(async () => (pair = await socketPair()));
  afterEach(() => pair.close());

  /** Records what reaches the socket's write path: the byte count of each buffer, per write. */
  function recordWrites(socket: net.Socket): number[][] {
    const writes: number[][] = [];
    const writev = socket._writev!.bind(socket);
    const write = socket._write.bind(socket);
    socket._writev = (chunks, callback) => {
      writes.push(chunks.map(({ chunk }) => (chunk as Uint8Array).length));
      writev(chunks, callback);
    };
    socket._write = (chunk: Uint8Array, encoding, callback) => {
      writes.push([chunk.length]);
      write(chunk, encoding, callback);
    };
    return writes;
  }

  it('writes the frames queued in one turn together, whole and in order, in one write', async () => {
    const queue = new SendQueue(pair.local, 1024 * 1024);
    const frames = [frame(8, 1), frame(72, 2), frame(1000, 3)];
    const writes = recordWrites(pair.local);
    for (const f of frames) assert.equal(queue.enqueue(f), true);
    assert.equal(queue.length, 3, 'frames are queued until the task ends, not written at once');
    const received = await receive(pair.remote, 1080);
    assert.deepEqual(writes, [[1080]], 'small frames were not copied into one buffer, or took several writes');
    assert.deepEqual(Buffer.concat(received), Buffer.concat(frames));
    assert.equal(queue.length, 0);
    assert.equal(queue.unsentFrames, 0, 'the written run was not counted as three frames written');
  });

  it('hands large frames to the socket as they are, copying only the runs of small ones', async () => {
    const queue = new SendQueue(pair.local, 1024 * 1024);
    const frames = [frame(100, 1), frame(200, 2), frame(20_000, 3), frame(300, 4)];
    const writes = recordWrites(pair.local);
    for (const f of frames) queue.enqueue(f);
    const received = await receive(pair.remote, 20_600);
    assert.deepEqual(writes, [[300, 20_000, 300]]);
    assert.deepEqual(Buffer.concat(received), Buffer.concat(frames));
  });

  it('hands the frames to the socket when the task that queued them ends, not a turn later', async () => {
    const queue = new SendQueue(pair.local, 1024 * 1024);
    const lengthAfterTask = await new Promise<number>((resolve) => {
      // Two callbacks of the same turn: the second sees what the first queued already written.
      setImmediate(() => queue.enqueue(frame(72)));
      setImmediate(() => resolve(queue.length));
    });
    assert.equal(lengthAfterTask, 0, 'the frame waited for the next turn of the event loop');
    assert.equal((await receive(pair.remote, 72)).length > 0, true);
  });

  it('refuses a frame beyond maxBytes, counting bytes still unsent in the socket', async () => {
    const maxBytes = 256 * 1024;
    const queue = new SendQueue(pair.local, maxBytes);
    const size = 60_000;
    const rounds = 2_000; // 120 MB: more than loopback kernel buffers can absorb
    let accepted = 0;
    // The remote never reads: the kernel buffers fill, then the socket's own buffer.
    for (let round = 0; round < rounds && queue.enqueue(frame(size)); round++) {
      accepted++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(accepted < rounds, 'the queue never refused a frame');
    assert.ok(queue.pendingBytes <= maxBytes, `pendingBytes ${queue.pendingBytes} > ${maxBytes}`);
    assert.ok(queue.pendingBytes + size > maxBytes, 'refused although the frame would have fit');
    // Once the remote reads, the queue takes frames again.
    pair.remote.resume();
    pair.remote.on('data', () => {});
    await waitFor(() => queue.enqueue(frame(size)), 'the queue taking a frame again once the remote reads', 5_000);
    assert.ok(queue.pendingBytes <= maxBytes);
  });

  it('a frame larger than the bound is refused outright, nothing partial is written', async () => {
    const queue = new SendQueue(pair.local, 1_000);
    assert.equal(queue.enqueue(frame(1_001)), false);
    assert.equal(queue.length, 0);
    assert.equal(queue.pendingBytes, 0);
  });

  it('after close it accepts nothing, but flushNow still writes what was queued', async () => {
    const queue = new SendQueue(pair.local, 1024 * 1024);
    const queued = frame(100, 7);
    assert.equal(queue.enqueue(queued), true);
    queue.close();
    assert.equal(queue.enqueue(frame(100, 8)), false);
    queue.flushNow();
    assert.deepEqual(Buffer.concat(await receive(pair.remote, 100)), Buffer.from(queued));
  });
});
