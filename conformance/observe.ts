/**
 * Observing a node through its API: subscribers that record every NOTIFICATION and answer
 * it as a case asks (valid, invalid, a raw 16-bit word, or not at all), and announcers.
 */
import { GossipNotification, GossipNotify, GossipValidation, MessageType } from '../runtime/entry/codec.js';
import { ApiClient, FramedSocket, frameType } from '../runtime/entry/client.js';
import { equalBytes, sleep, validationWord } from './bytes.js';
import type { CaseContext, NodeInfo } from './types.js';

/** How a subscriber answers each NOTIFICATION (§3 VALIDATION). */
export type Answer = 'valid' | 'invalid' | 'none' | { readonly word: number };

/**
 * The API has no acknowledgement, so a NOTIFY is in force only once the node has read it:
 * this pause after subscribing lets it do so before anything is announced.
 */
export const SUBSCRIBE_SETTLE_MS = 150;

type Waiter = { data: Uint8Array; settle: (notification: GossipNotification | null) => void };

export class Subscriber {
  readonly received: GossipNotification[] = [];
  private readonly waiters = new Set<Waiter>();

  private constructor(
    readonly client: ApiClient,
    private answer: Answer,
  ) {
    void this.readLoop();
  }

  /** Connects to `node`, subscribes to every type in `dataTypes`. Call settle() after. */
  static async open(
    context: CaseContext,
    node: NodeInfo,
    dataTypes: number[],
    answer: Answer = 'valid',
  ): Promise<Subscriber> {
    const client = context.track(await ApiClient.connect(node.api));
    for (const dataType of dataTypes) client.notify(dataType);
    return new Subscriber(client, answer);
  }

  /** Changes how later NOTIFICATIONs are answered. */
  answerWith(answer: Answer): void {
    this.answer = answer;
  }

  /** The NOTIFICATION carrying `data`, received already or within `timeoutMs`; else null. */
  waitFor(data: Uint8Array, timeoutMs: number): Promise<GossipNotification | null> {
    const seen = this.find(data);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        data,
        settle: (notification) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(notification);
        },
      };
      const timer = setTimeout(() => waiter.settle(null), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  find(data: Uint8Array): GossipNotification | undefined {
    return this.received.find((notification) => equalBytes(notification.data, data));
  }

  /** How many NOTIFICATIONs carried `data`. */
  count(data: Uint8Array): number {
    return this.received.filter((notification) => equalBytes(notification.data, data)).length;
  }

  destroy(): void {
    this.client.destroy();
  }

  private async readLoop(): Promise<void> {
    while (!this.client.isClosed) {
      const notification = await this.client.nextNotification(1_000);
      if (!notification) continue;
      this.received.push({ ...notification, data: Uint8Array.from(notification.data) });
      this.reply(notification.messageId);
      for (const waiter of [...this.waiters]) {
        if (equalBytes(waiter.data, notification.data)) waiter.settle(notification);
      }
    }
  }

  private reply(messageId: number): void {
    const answer = this.answer;
    if (answer === 'none') return;
    if (answer === 'valid' || answer === 'invalid') this.client.validate(messageId, answer === 'valid');
    else this.client.sendRaw(validationWord(messageId, answer.word));
  }
}

/** Lets freshly sent NOTIFY frames take effect (see SUBSCRIBE_SETTLE_MS). */
export function settle(): Promise<void> {
  return sleep(SUBSCRIBE_SETTLE_MS);
}

/** Opens an API connection to `node` that the case owns. */
export async function connect(context: CaseContext, node: NodeInfo): Promise<ApiClient> {
  return context.track(await ApiClient.connect(node.api));
}

interface Announcer {
  readonly client: ApiClient;
  /** Set when the node closed the connection: ms after the ANNOUNCE. */
  closedAfterMs: number | null;
}

/** Per case: the connection each item was announced on (to say what happened when it was not delivered). */
const announcers = new WeakMap<CaseContext, Map<string, Announcer>>();

/** The connection `data` was announced on in this case, if announceFrom sent it. */
export function announcerOf(context: CaseContext, data: Uint8Array): Announcer | undefined {
  return announcers.get(context)?.get(Buffer.from(data).toString('hex'));
}

/**
 * What an announcing connection sends before its ANNOUNCEs: nothing, or (when the node closes
 * announcers not subscribed to the type, see CaseContext.announcerSubscribes) a NOTIFY per type.
 */
export function announcerPreamble(context: CaseContext, dataTypes: readonly number[]): Uint8Array {
  if (!context.announcerSubscribes) return new Uint8Array(0);
  return Buffer.concat(dataTypes.map((dataType) => GossipNotify.encode({ dataType })));
}

/** Subscribes an announcing client to `dataTypes` when the node requires it (see announcerPreamble). */
export function prepareAnnouncer(context: CaseContext, client: ApiClient, dataTypes: readonly number[]): ApiClient {
  if (context.announcerSubscribes) {
    for (const dataType of dataTypes) client.notify(dataType);
    answerValid(client.transport);
  }
  return client;
}

/**
 * Answers valid=1 to every NOTIFICATION on `socket` until it closes: an announcer that had to
 * subscribe must not become a silent subscriber that holds up other items' validation.
 */
export function answerValid(socket: FramedSocket): void {
  void (async () => {
    while (!socket.isClosed) {
      const frame = await socket.take(60_000, (f) => frameType(f) === MessageType.GOSSIP_NOTIFICATION);
      if (!frame) continue;
      try {
        socket.write(GossipValidation.encode({ messageId: GossipNotification.decode(frame).messageId, valid: true }));
      } catch {
        // Not a NOTIFICATION laid out as §3 says: other cases report that.
      }
    }
  })();
}

/** Writes the announcer preamble on a raw socket, and answers what it is then notified of. */
export function preparePreamble(context: CaseContext, socket: FramedSocket, dataTypes: readonly number[]): void {
  const preamble = announcerPreamble(context, dataTypes);
  if (preamble.length === 0) return;
  socket.write(preamble);
  answerValid(socket);
}

/** A raw connection to the case path's announcing node, its preamble for `dataTypes` written. */
export async function rawAnnouncer(context: CaseContext, dataTypes: readonly number[]): Promise<FramedSocket> {
  const socket = context.track(await FramedSocket.connect(context.path.from.api));
  preparePreamble(context, socket, dataTypes);
  return socket;
}

/** Announces one item from a new connection to `node` (kept open until the case ends). */
export async function announceFrom(
  context: CaseContext,
  node: NodeInfo,
  item: { ttl: number; dataType: number; data: Uint8Array },
): Promise<ApiClient> {
  const client = prepareAnnouncer(context, await connect(context, node), [item.dataType]);
  const sentAt = performance.now();
  client.announce(item);
  const announcer: Announcer = { client, closedAfterMs: null };
  void client.waitClosed(60_000).then((closed) => {
    if (closed) announcer.closedAfterMs = Math.round(performance.now() - sentAt);
  });
  if (!announcers.has(context)) announcers.set(context, new Map());
  announcers.get(context)!.set(Buffer.from(item.data).toString('hex'), announcer);
  return client;
}

/** Human-readable "item" line for reports. */
export function describeItem(item: { ttl?: number; dataType: number; data: Uint8Array }): string {
  const ttl = item.ttl === undefined ? '' : `ttl=${item.ttl} `;
  return `${ttl}data_type=${item.dataType} data=${Buffer.from(item.data.subarray(0, 16)).toString('hex')}${item.data.length > 16 ? `… (${item.data.length} bytes)` : ''}`;
}
