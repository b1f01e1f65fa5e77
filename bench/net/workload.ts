/**
 * The traffic of bench:net: one subscriber on every node that answers valid=1 as soon as a
 * NOTIFICATION arrives, one announcer connection per node, and items announced with ttl 0
 * at random nodes at a fixed pace (docs/protocol.md §3, §4.4). Times are performance.now() in
 * this process, so announce and delivery share one clock.
 */
import { ApiClient } from '../../runtime/api/api-client.js';
import { sleep, waitFor } from '../../test/support/network.js';

export interface WorkloadOptions {
  readonly items: number;
  /** Pause between two announces. */
  readonly intervalMs: number;
  readonly dataType: number;
  /** Size of each item's data (at least 8: run tag and item number). */
  readonly payloadBytes: number;
  /** How long to wait for the last delivery after the last announce. */
  readonly deliveryTimeoutMs: number;
  /** Picks the announcing node: a number in [0, 1). */
  readonly random: () => number;
}

export interface WorkloadResult {
  readonly items: number;
  readonly subscribers: number;
  /** Distinct (item, subscriber) pairs delivered. */
  readonly deliveries: number;
  /** NOTIFICATIONs of an item the subscriber already had (should be 0, §4.4). */
  readonly repeatedNotifications: number;
  /** Per item: ms from announce to each of its deliveries, ascending. */
  readonly latenciesByItem: readonly number[][];
}

interface Subscriber {
  readonly client: ApiClient;
  /** Item number → delivery time, for the current run tag. */
  readonly received: Map<number, number>;
  repeated: number;
}

export class Workload {
  private runTag = 0;

  private constructor(
    private readonly subscribers: Subscriber[],
    private readonly announcers: ApiClient[],
    private readonly options: WorkloadOptions,
  ) {}

  static async connect(apiEndpoints: readonly string[], options: WorkloadOptions): Promise<Workload> {
    if (options.payloadBytes < 8) throw new Error('payloadBytes must be at least 8');
    const subscribers: Subscriber[] = [];
    const announcers: ApiClient[] = [];
    const workload = new Workload(subscribers, announcers, options);
    for (const endpoint of apiEndpoints) {
      const client = await ApiClient.connect(endpoint);
      client.notify(options.dataType);
      const subscriber: Subscriber = { client, received: new Map(), repeated: 0 };
      subscribers.push(subscriber);
      void workload.answerValid(subscriber);
      announcers.push(await ApiClient.connect(endpoint));
    }
    return workload;
  }

  /**
   * One item announced at node 0 that every subscriber should receive: proves the NOTIFYs
   * are in place and shows whether the overlay reaches everyone (with rotation off, a
   * partitioned overlay stays partitioned). Returns how many subscribers got it.
   */
  async warmUp(timeoutMs: number): Promise<number> {
    this.startRun();
    this.announcers[0]!.announce({ ttl: 0, dataType: this.options.dataType, data: this.itemData(0) });
    const reached = (): number => this.subscribers.filter((s) => s.received.has(0)).length;
    await waitFor('the warm-up item at every subscriber', () => reached() === this.subscribers.length, timeoutMs).catch(
      () => undefined,
    );
    return reached();
  }

  /** Announces `items` items at random nodes and collects every delivery. */
  async run(onProgress: (announced: number) => void): Promise<WorkloadResult> {
    this.startRun();
    const { items, intervalMs, dataType, random } = this.options;
    const announcedAt: number[] = [];
    for (let n = 0; n < items; n++) {
      const at = Math.floor(random() * this.announcers.length);
      announcedAt.push(performance.now());
      this.announcers[at]!.announce({ ttl: 0, dataType, data: this.itemData(n) });
      if ((n + 1) % 25 === 0) onProgress(n + 1);
      await sleep(intervalMs);
    }
    const expected = items * this.subscribers.length;
    const delivered = (): number => this.subscribers.reduce((sum, s) => sum + s.received.size, 0);
    await waitFor('every delivery', () => delivered() === expected, this.options.deliveryTimeoutMs).catch(
      () => undefined,
    );
    const latenciesByItem = announcedAt.map((sentAt, n) =>
      this.subscribers
        .map((s) => s.received.get(n))
        .filter((at): at is number => at !== undefined)
        .map((at) => at - sentAt)
        .sort((a, b) => a - b),
    );
    return {
      items,
      subscribers: this.subscribers.length,
      deliveries: delivered(),
      repeatedNotifications: this.subscribers.reduce((sum, s) => sum + s.repeated, 0),
      latenciesByItem,
    };
  }

  close(): void {
    for (const client of [...this.announcers, ...this.subscribers.map((s) => s.client)]) client.destroy();
  }

  private startRun(): void {
    this.runTag++;
    for (const subscriber of this.subscribers) {
      subscriber.received.clear();
      subscriber.repeated = 0;
    }
  }

  /** Run tag (u32) ‖ item number (u32) ‖ filler: a distinct item id per run and item. */
  private itemData(n: number): Buffer {
    const data = Buffer.alloc(this.options.payloadBytes, 0x2e);
    data.writeUInt32BE(this.runTag, 0);
    data.writeUInt32BE(n, 4);
    return data;
  }

  /** Records each NOTIFICATION's arrival, then answers valid=1 at once (§3.1). */
  private async answerValid(subscriber: Subscriber): Promise<void> {
    for await (const notification of subscriber.client.notifications()) {
      const arrivedAt = performance.now();
      const data = Buffer.from(notification.data);
      subscriber.client.validate(notification.messageId, true);
      if (data.length < 8 || data.readUInt32BE(0) !== this.runTag) continue; // a previous run's straggler
      const n = data.readUInt32BE(4);
      if (subscriber.received.has(n)) subscriber.repeated++;
      else subscriber.received.set(n, arrivedAt);
    }
  }
}
