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
  /** Index of the Server whose non-priority frame goes next. */
  private turn = 0;

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

  /**
   * The Server whose frame goes next: any priority frame first, else the Servers in turn.
   * Not "the first non-empty queue": a client flooding the API would then hold back every
   * P2P frame for as long as it keeps the API queue full (docs/protocol.md §7.3).
   */
  private next(): PumpSource | null {
    for (const source of this.sources) {
      if (source.receiveQueue.hasPriority) return source;
    }
    for (let tried = 0; tried < this.sources.length; tried++) {
      const source = this.sources[this.turn]!;
      this.turn = (this.turn + 1) % this.sources.length;
      if (source.receiveQueue.length > 0) return source;
    }
    return null;
  }
}
