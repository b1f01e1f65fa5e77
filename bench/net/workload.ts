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
  /** Per item: when it was announced (performance.now()). */
  readonly announcedAt: readonly number[];
  /** Per item, per subscriber: when it was delivered there, or undefined. */
  readonly deliveredAt: readonly (readonly (number | undefined)[])[];
  /** Items per second actually announced (the pace may fall behind the plan when this process is busy). */
  readonly achievedRate: number;
}

/** Changes to one run: its own item count or pace, and a hook before each item (churn kills nodes there). */
export interface RunPlan {
  readonly items?: number;
  readonly intervalMs?: number;
  readonly payloadBytes?: number;
  readonly deliveryTimeoutMs?: number;
  readonly beforeItem?: (n: number) => Promise<void> | void;
}

interface Subscriber {
  readonly client: ApiClient;
  /** Item number → delivery time, for the current run tag. */
  readonly received: Map<number, number>;
  repeated: number;
}

export class Workload {
  private runTag = 0;
  /** Nodes that announce items and whose subscribers must get them (all, until some are killed). */
  private live: number[];
  private payloadBytes: number;

  private constructor(
    private readonly subscribers: Subscriber[],
    private readonly announcers: ApiClient[],
    private readonly options: WorkloadOptions,
  ) {
    this.live = subscribers.map((_, i) => i);
    this.payloadBytes = options.payloadBytes;
  }

  static async connect(apiEndpoints: readonly string[], options: WorkloadOptions): Promise<Workload> {
    if (options.payloadBytes < 8) throw new Error('payloadBytes must be at least 8');
    const subscribers: Subscriber[] = [];
    const announcers: ApiClient[] = [];
    for (const endpoint of apiEndpoints) {
      const client = await ApiClient.connect(endpoint);
      client.notify(options.dataType);
      subscribers.push({ client, received: new Map(), repeated: 0 });
      announcers.push(await ApiClient.connect(endpoint));
    }
    const workload = new Workload(subscribers, announcers, options);
    for (const subscriber of subscribers) void workload.answerValid(subscriber);
    return workload;
  }

  /** From now on only these nodes announce, and only their subscribers are waited for. */
  setLive(indexes: readonly number[]): void {
    this.live = [...indexes];
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

  /**
   * Announces items at random live nodes, item n at start + n × interval (several at once
   * when the timer is late: the pace holds), and collects every delivery.
   */
  async run(onProgress: (announced: number) => void, plan: RunPlan = {}): Promise<WorkloadResult> {
    this.startRun();
    this.payloadBytes = Math.max(8, plan.payloadBytes ?? this.options.payloadBytes);
    const { dataType, random } = this.options;
    const items = plan.items ?? this.options.items;
    const intervalMs = plan.intervalMs ?? this.options.intervalMs;
    const announcedAt: number[] = [];
    const progressEvery = Math.max(25, Math.round(items / 4));
    const started = performance.now();
    for (let n = 0; n < items; n++) {
      await plan.beforeItem?.(n);
      const due = started + n * intervalMs;
      if (due > performance.now() + 1) await sleep(due - performance.now());
      else if (n % 32 === 0) await new Promise(setImmediate); // behind: still let deliveries in
      const at = this.live[Math.floor(random() * this.live.length)]!;
      announcedAt.push(performance.now());
      this.announcers[at]!.announce({ ttl: 0, dataType, data: this.itemData(n) });
      if ((n + 1) % progressEvery === 0) onProgress(n + 1);
    }
    const seconds = (performance.now() - started) / 1000;
    const live = this.live.map((i) => this.subscribers[i]!);
    const expected = items * live.length;
    const delivered = (): number => live.reduce((sum, s) => sum + s.received.size, 0);
    const timeoutMs = plan.deliveryTimeoutMs ?? this.options.deliveryTimeoutMs;
    await waitFor('every delivery', () => delivered() === expected, timeoutMs).catch(() => undefined);
    const deliveredAt = announcedAt.map((_, n) => this.subscribers.map((s) => s.received.get(n)));
    const latenciesByItem = announcedAt.map((sentAt, n) =>
      this.live
        .map((i) => deliveredAt[n]![i])
        .filter((at): at is number => at !== undefined)
        .map((at) => at - sentAt)
        .sort((a, b) => a - b),
    );
    return {
      items,
      subscribers: live.length,
      deliveries: delivered(),
      repeatedNotifications: live.reduce((sum, s) => sum + s.repeated, 0),
      latenciesByItem,
      announcedAt,
      deliveredAt,
      achievedRate: items > 1 ? (items - 1) / Math.max(seconds, 1e-3) : items,
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
    const data = Buffer.alloc(this.payloadBytes, 0x2e);
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
