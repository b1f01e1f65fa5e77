/**
 * Flow control (docs/protocol.md §7.3): the gate shuts while a P2P send queue is over its
 * high watermark and opens once it drains below the low one; a queue whose remote stopped
 * reading does not keep it shut.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { ALLOWANCE_WHILE_SHUT_BYTES, FlowGate, STUCK_AFTER_MS } from '../../runtime/core/flow-gate.js';
import { SendQueue } from '../../runtime/core/send-queue.js';
import { waitFor } from '../support/network.js';

async function socketPair(): Promise<{ local: net.Socket; remote: net.Socket; close(): void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const local = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => local.once('connect', resolve));
  const remote = await accepted;
  return { local, remote, close: () => (local.destroy(), remote.destroy(), server.close()) };
}

/** 32 MiB: more than loopback's socket buffers take, so most of it stays pending. */
function fillBeyondTheKernel(queue: SendQueue): void {
  for (let n = 0; n < 512; n++) assert.ok(queue.enqueue(Buffer.alloc(64 * 1024)));
}

describe('FlowGate (docs/protocol.md §7.3)', function () {
  this.timeout(20_000);

  it('shuts above the high watermark and opens below the low one once the remote reads', async () => {
    const pair = await socketPair();
    pair.remote.pause();
    const gate = new FlowGate(64 * 1024, 16 * 1024);
    const queue = new SendQueue(pair.local, 64 * 1024 * 1024, gate);
    // Each change, and when the gate opened, why it could: the queue back under the low
    // watermark, or stalled for STUCK_AFTER_MS (the other test's rule; on a loaded machine
    // this process can be kept off the CPU that long while the queue drains).
    const changes: boolean[] = [];
    const opened: { pending: number; stuckMs: number }[] = [];
    gate.onChange((isOpen) => {
      changes.push(isOpen);
      if (isOpen) opened.push({ pending: queue.pendingBytes, stuckMs: queue.stuckFor() });
    });
    fillBeyondTheKernel(queue);
    assert.equal(gate.isOpen, false, 'the gate did not shut');
    // A client that announced little is still read; the flooder is not.
    assert.equal(gate.admits(1_000), true);
    assert.equal(gate.admits(ALLOWANCE_WHILE_SHUT_BYTES), false);
    pair.remote.resume();
    // Open once drained. Had a stall opened it first (this process starved of the CPU for
    // STUCK_AFTER_MS while draining), it stays open: the check below says which rule opened it.
    await waitFor(
      'the queue drained and the gate open',
      () => queue.pendingBytes <= gate.lowBytes && gate.isOpen,
      10_000,
    );
    assert.equal(changes[0], false, 'the first change shuts the gate');
    for (const { pending, stuckMs } of opened)
      assert.ok(
        pending <= gate.lowBytes || stuckMs >= STUCK_AFTER_MS,
        `opened with ${pending} bytes pending and the last write ${stuckMs} ms ago`,
      );
    pair.close();
  });

  it('opens again when the congested remote has read nothing for a while (a stall, not a slow peer)', async () => {
    const pair = await socketPair();
    pair.remote.pause();
    const gate = new FlowGate(64 * 1024, 16 * 1024);
    let openedAt: number | null = null;
    gate.onChange((isOpen) => (openedAt ??= isOpen ? Date.now() : null));
    const queue = new SendQueue(pair.local, 64 * 1024 * 1024, gate);
    fillBeyondTheKernel(queue);
    // The stall is counted from the last write the kernel took, right after this fill: the
    // moment the gate opens is taken by its listener, so a busy machine's late timers count
    // toward the stall as they should and cannot make the gate look early.
    const filledAt = Date.now();
    assert.equal(gate.isOpen, false);
    await waitFor('the gate to give up on the stalled remote', () => gate.isOpen, 20 * STUCK_AFTER_MS);
    const shutFor = openedAt! - filledAt;
    assert.ok(shutFor >= STUCK_AFTER_MS / 2, `gave up ${shutFor} ms after the remote stopped reading`);
    pair.close();
  });
});
