/**
 * The API clients of bench:soak: honest probes (timed items from one node to subscribers
 * on the others), a flooder that announces as fast as TCP lets it, a subscriber that never
 * reads, and modules that crash right after NOTIFY and ANNOUNCE.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  frameTypeOf,
  GossipAnnounce,
  GossipNotification,
  GossipNotify,
  GossipValidation,
  MessageType,
} from '../../generated/index.js';
import { FrameReader } from '../../runtime/core/framer.js';
import { ApiClient, type Endpoint } from '../../runtime/api/api-client.js';
import { sleep } from '../../test/support/network.js';

/**
 * A subscriber that validates every NOTIFICATION and counts the distinct items (the
 * flood's delivery). Lean on purpose (framing by hand, validations batched into one write
 * per chunk): the bench process must not be what slows delivery down.
 */
export class CountingSubscriber {
  readonly seen = new Set<string>();
  private constructor(private readonly socket: net.Socket) {}

  static async start(
    endpoint: Endpoint,
    dataType: number,
    onItem?: (data: Uint8Array) => void,
  ): Promise<CountingSubscriber> {
    const socket = net.connect(endpoint.port, endpoint.host);
    socket.setNoDelay(true);
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    const subscriber = new CountingSubscriber(socket);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      const answers: Uint8Array[] = [];
      for (const frame of reader.push(chunk)) {
        if (frameTypeOf(frame) !== MessageType.GOSSIP_NOTIFICATION) continue;
        const notification = GossipNotification.decode(frame);
        answers.push(GossipValidation.encode({ messageId: notification.messageId, valid: true }));
        // The bench's items differ in their first 16 bytes; keeping only those keeps this small.
        subscriber.seen.add(Buffer.from(notification.data.subarray(0, 16)).toString('latin1'));
        onItem?.(notification.data);
      }
      if (answers.length > 0) socket.write(Buffer.concat(answers));
    });
    socket.write(GossipNotify.encode({ dataType }));
    return subscriber;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Announces a timed item every `intervalMs`; subscribers elsewhere record each one's latency. */
export class Prober {
  sent = 0;
  /** Latency in ms of each probe, per receiving subscriber. */
  readonly latencies: number[] = [];
  /** The slowest probes: [latency ms, receiver index, seconds since start]. */
  readonly slowest: Array<[number, number, number]> = [];
  /**
   * Probes a receiver got a second time: a copy that took another path and arrived after
   * that node's seen-set had forgotten the id. Not counted as deliveries or latencies.
   */
  duplicates = 0;
  private readonly delivered = new Set<string>();
  private readonly startedAt = performance.now();
  readonly receivers: CountingSubscriber[] = [];
  private running = true;
  private announcer: ApiClient | null = null;

  constructor(private readonly dataType: number) {}

  async start(from: Endpoint, to: readonly Endpoint[], intervalMs: number): Promise<void> {
    for (const [index, endpoint] of to.entries()) {
      this.receivers.push(
        await CountingSubscriber.start(endpoint, this.dataType, (data) => {
          const key = `${index} ${Buffer.from(data).readDoubleBE(0)}`;
          if (this.delivered.has(key)) return void this.duplicates++;
          this.delivered.add(key);
          const sentAt = Buffer.from(data).readDoubleBE(8);
          const latency = performance.now() - sentAt;
          this.latencies.push(latency);
          if (latency > 50)
            this.slowest.push([Math.round(latency), index, Math.round((sentAt - this.startedAt) / 1000)]);
        }),
      );
    }
    this.announcer = await ApiClient.connect(from);
    await sleep(200); // the NOTIFYs are handled before the first probe
    void (async () => {
      while (this.running) {
        const data = Buffer.alloc(24);
        data.writeDoubleBE(this.sent, 0);
        data.writeDoubleBE(performance.now(), 8);
        this.announcer!.announce({ ttl: 0, dataType: this.dataType, data });
        this.sent++;
        await sleep(intervalMs);
      }
    })();
  }

  stop(): void {
    this.running = false;
  }

  close(): void {
    this.stop();
    this.announcer?.destroy();
    for (const receiver of this.receivers) receiver.close();
  }
}

/** Announces unique `size`-byte items as fast as the connection takes them, `limit` at most. */
export class Flooder {
  written = 0;
  private running = true;
  private readonly salt = randomBytes(8);

  constructor(
    private readonly dataType: number,
    private readonly size: number,
  ) {}

  async run(endpoint: Endpoint, limit = Infinity): Promise<void> {
    const socket = net.connect(endpoint.port, endpoint.host);
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    const BATCH = 256;
    while (this.running && this.written < limit && !socket.destroyed) {
      const count = Math.min(BATCH, limit - this.written);
      const frames: Uint8Array[] = [];
      for (let n = 0; n < count; n++) {
        const data = Buffer.alloc(this.size);
        this.salt.copy(data);
        data.writeUInt32BE(this.written + n, 8);
        frames.push(GossipAnnounce.encode({ ttl: 0, dataType: this.dataType, data }));
      }
      this.written += count;
      if (!socket.write(Buffer.concat(frames))) await new Promise((resolve) => socket.once('drain', resolve));
    }
    // Everything written is on its way; the daemon must process what it read (§3.1).
    await new Promise<void>((resolve) => socket.end(() => resolve()));
  }

  stop(): void {
    this.running = false;
  }
}

/** A subscriber that sends NOTIFY and never reads again. */
export async function nonReadingSubscriber(endpoint: Endpoint, dataType: number): Promise<net.Socket> {
  const socket = net.connect(endpoint.port, endpoint.host);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(GossipNotify.encode({ dataType }));
  socket.pause();
  return socket;
}

/** Modules that connect, subscribe and announce, then reset or send garbage, `perSecond` times a second. */
export class CrashingClients {
  crashes = 0;
  private running = true;

  async run(endpoint: Endpoint, dataType: number, perSecond: number): Promise<void> {
    while (this.running) {
      const crash = this.crashes++;
      const bytes = Buffer.concat([
        GossipNotify.encode({ dataType }),
        GossipAnnounce.encode({ ttl: 1, dataType, data: Buffer.from(`crash ${crash} ${Date.now()}`) }),
        crash % 2 === 0 ? Buffer.alloc(0) : Uint8Array.of(0, 2, 1, 0xf5), // half end with a malformed frame
      ]);
      await new Promise<void>((resolve) => {
        const socket = net.connect(endpoint.port, endpoint.host);
        socket.on('error', () => {});
        socket.once('close', () => resolve());
        socket.once('connect', () => socket.write(bytes, () => socket.resetAndDestroy()));
      });
      await sleep(1000 / perSecond);
    }
  }

  stop(): void {
    this.running = false;
  }
}

/** What the probe process (bench/soak/probe-process.ts) reports. */
export interface ProbeResult {
  readonly sent: number;
  readonly receivers: number;
  readonly latencies: number[];
  readonly slowest: Array<[number, number, number]>;
  readonly duplicates: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

/** Runs the probes in a child process; `stop` ends them and resolves with the result. */
export async function startProbeProcess(
  from: Endpoint,
  to: readonly Endpoint[],
  intervalMs: number,
  dataType: number,
): Promise<{ stop(): Promise<ProbeResult> }> {
  const format = (e: Endpoint) => `${e.host}:${e.port}`;
  const script = fileURLToPath(new URL('./probe-process.ts', import.meta.url));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, format(from), to.map(format).join(','), String(intervalMs), String(dataType)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  while (!output.includes('started\n')) {
    if (child.exitCode !== null) throw new Error('the probe process exited early');
    await sleep(50);
  }
  return {
    async stop() {
      child.stdin.write('stop\n');
      await new Promise((resolve) => child.once('exit', resolve));
      return JSON.parse(output.split('\n').find((line) => line.startsWith('{'))!) as ProbeResult;
    },
  };
}
