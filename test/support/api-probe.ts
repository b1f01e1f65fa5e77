/**
 * Tells, from outside a daemon, that it has handled what a connection sent so far: the
 * connection sends a probe ANNOUNCE after its frames, and an observer subscribed to the probe
 * type receives it as a NOTIFICATION. The daemon handles one connection's frames in order
 * (docs/protocol.md §1, §3.1), so once the probe is notified, a NOTIFY sent before it has
 * taken effect. This replaces "sleep and hope the daemon got there".
 *
 * Probes are local items: they are pushed to the daemon's peers (ttl 1) and counted like any
 * announced item, and the observer's NOTIFICATIONs count as delivered. Use a data type no
 * test uses.
 */
import { GossipAnnounce } from '../../generated/index.js';
import { ApiClient, type Endpoint } from '../../runtime/api/api-client.js';

/** How long one probe may take to come back before the next is sent, while the observer subscribes. */
const FIRST_PROBE_RETRY_MS = 100;
/** How long a probe may take on a busy machine. */
const PROBE_TIMEOUT_MS = 10_000;

let nextProbe = 0;

export class ApiProbe {
  private constructor(
    private readonly observer: ApiClient,
    readonly dataType: number,
  ) {}

  /** Connects the observer and waits until its own subscription to `dataType` took effect. */
  static async open(endpoint: Endpoint, dataType: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ApiProbe> {
    const observer = await ApiClient.connect(endpoint);
    const announcer = await ApiClient.connect(endpoint);
    try {
      observer.notify(dataType);
      // Nothing orders the announcer's frames after the observer's NOTIFY: probe again until
      // one is delivered. Late copies of earlier probes are told apart by their data.
      const deadline = Date.now() + timeoutMs;
      const sent = new Set<string>();
      for (;;) {
        const data = probeData();
        sent.add(hex(data));
        announcer.announce({ ttl: 1, dataType, data });
        const got = await observer.nextNotification(
          FIRST_PROBE_RETRY_MS,
          (n) => n.dataType === dataType && sent.has(hex(n.data)),
        );
        if (got) return new ApiProbe(observer, dataType);
        if (Date.now() > deadline)
          throw new Error(`probe observer for type ${dataType} never notified within ${timeoutMs} ms`);
      }
    } catch (error) {
      observer.destroy();
      throw error;
    } finally {
      announcer.destroy();
    }
  }

  /**
   * Resolves once the daemon has handled every frame written through `send` before this call
   * (an ApiClient, or a function that writes one whole frame to the connection).
   */
  async handled(send: ApiClient | ((frame: Uint8Array) => void), timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
    const data = probeData();
    const frame = GossipAnnounce.encode({ ttl: 1, dataType: this.dataType, data });
    if (typeof send === 'function') send(frame);
    else send.sendRaw(frame);
    const expected = hex(data);
    const got = await this.observer.nextNotification(
      timeoutMs,
      (n) => n.dataType === this.dataType && hex(n.data) === expected,
    );
    if (!got)
      throw new Error(
        `probe on type ${this.dataType} not notified within ${timeoutMs} ms (connection closed, or the daemon stalled)`,
      );
  }

  close(): void {
    this.observer.destroy();
  }
}

/** Fresh probe data: never a duplicate for the daemon's seen-set (§4.4). */
function probeData(): Uint8Array {
  const data = new Uint8Array(12);
  const view = new DataView(data.buffer);
  view.setUint32(0, 0x70726f62); // "prob"
  view.setUint32(4, process.pid);
  view.setUint32(8, ++nextProbe);
  return data;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
