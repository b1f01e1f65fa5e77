/**
 * Drains the Servers' receive queues into their consumers on the event loop (the
 * design's threads between queues, runtime/README.md), at most PUMP_BATCH frames per turn,
 * then a yield so that I/O keeps flowing. Priority frames (VALIDATION) of any Server go
 * ahead of the others, because notified items wait on them, but while other frames wait
 * they alternate with those: a subscriber answering a burst of notifications must not hold
 * back everyone else's frames for the length of its burst (docs/protocol.md §7.3).
 */

/** What the pump needs of a Server (runtime/core/server.ts). */
export interface PumpSource {
  readonly receiveQueue: { readonly hasPriority: boolean; readonly hasNormal: boolean };
  /** Handles one frame: a priority one first if `priorityFirst`, else a non-priority one first. */
  handleNext(priorityFirst: boolean): boolean;
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
  /** Whether the last frame handled was a priority frame: the next one is not, if any waits. */
  private servedPriority = false;

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
      source.handleNext(this.servedPriority);
    }
    if (this.sources.some(({ receiveQueue: q }) => q.hasPriority || q.hasNormal)) this.wake();
    else for (const source of this.sources) source.resumeWhereRoom();
  };

  /**
   * The Server whose frame goes next: a priority frame unless the last one was, else the
   * Servers' other frames in turn. Not "the first non-empty queue": a client flooding the
   * API would then hold back every P2P frame for as long as it keeps the API queue full;
   * nor "priority frames while any wait": a burst of VALIDATIONs then holds back everything
   * else (bench:soak --mode flood: probes waited behind up to 2,000 of them).
   */
  private next(): PumpSource | null {
    if (!this.servedPriority) {
      const urgent = this.withPriority();
      if (urgent) return this.serve(urgent, true);
    }
    for (let tried = 0; tried < this.sources.length; tried++) {
      const source = this.sources[this.turn]!;
      this.turn = (this.turn + 1) % this.sources.length;
      if (source.receiveQueue.hasNormal) return this.serve(source, false);
    }
    const urgent = this.withPriority();
    return urgent ? this.serve(urgent, true) : null;
  }

  private withPriority(): PumpSource | undefined {
    return this.sources.find((source) => source.receiveQueue.hasPriority);
  }

  private serve(source: PumpSource, priority: boolean): PumpSource {
    this.servedPriority = priority;
    return source;
  }
}
