/**
 * Drains the Servers' receive queues into their consumers on the event loop (the
 * design's threads between queues, runtime/README.md): priority frames (VALIDATION) of any
 * Server first, because notified items wait on them, at most PUMP_BATCH frames per turn,
 * then a yield so that I/O keeps flowing.
 */

/** What the pump needs of a Server (runtime/core/server.ts). */
export interface PumpSource {
  readonly receiveQueue: { readonly length: number; readonly hasPriority: boolean };
  handleNext(): boolean;
  resumeWhereRoom(): void;
}

/** What a Server registers with and wakes. */
export interface Pump {
  add(source: PumpSource): void;
  wake(): void;
}

/**
 * Frames handled per turn of the event loop before yielding to I/O. 128 rather than 512:
 * under a flood, shorter turns let other senders' items in and out sooner (bench:soak
 * --mode flood: probe p99 about 190 ms at 512, 100 ms at 128, on a loaded 2-core machine).
 */
const PUMP_BATCH = 128;

export class ReceivePump implements Pump {
  private readonly sources: PumpSource[] = [];
  private isScheduled = false;

  add(source: PumpSource): void {
    this.sources.push(source);
  }

  /** A Server queued frames: drain the queues on the next turn. */
  wake = (): void => {
    if (this.isScheduled) return;
    this.isScheduled = true;
    setImmediate(this.drain);
  };

  private drain = (): void => {
    this.isScheduled = false;
    for (let handled = 0; handled < PUMP_BATCH; handled++) {
      const source = this.next();
      if (!source) break;
      source.handleNext();
    }
    if (this.sources.some((source) => source.receiveQueue.length > 0)) this.wake();
    else for (const source of this.sources) source.resumeWhereRoom();
  };

  /** The Server whose frame goes next: any priority frame first, else the first non-empty queue. */
  private next(): PumpSource | null {
    let first: PumpSource | null = null;
    for (const source of this.sources) {
      const queue = source.receiveQueue;
      if (queue.length === 0) continue;
      if (queue.hasPriority) return source;
      first ??= source;
    }
    return first;
  }
}
