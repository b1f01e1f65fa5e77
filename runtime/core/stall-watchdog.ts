/**
 * Disconnects a remote that stopped reading (docs/protocol.md §7.3): a connection whose
 * send queue is backed up (full, or over the flow-control watermark) and has completed no
 * write for `timeoutMs` is closed, and the frames still queued for it are reported lost
 * (counted as `send-stalled`).
 */
import type { Connection } from './connection.js';

export class StallWatchdog {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly connections: ReadonlySet<Connection>,
    private readonly timeoutMs: number,
    private readonly onStalled: (connection: Connection, framesLost: number) => void,
  ) {
    // Checked a few times per timeout: a stall is noticed within a quarter of it.
    this.timer = setInterval(() => this.check(), Math.max(50, Math.min(1_000, timeoutMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  check(now = Date.now()): void {
    for (const connection of [...this.connections]) {
      const queue = connection.sendQueue;
      queue.checkPressure(); // room may have come back without another send
      if (queue.stuckFor(now) < this.timeoutMs) continue;
      const framesLost = queue.unsentFrames;
      connection.close('send queue stalled');
      this.onStalled(connection, framesLost);
    }
  }
}
