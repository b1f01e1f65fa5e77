/**
 * Prometheus metrics of one daemon, on its own prom-client Registry so that
 * several daemons in one process (the multi-node tests) never share counters. Label values
 * come from small fixed sets (server names, message types the codecs know, reasons written
 * in the code), never from peer input, so the series count stays bounded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DROPPABLE_TYPES, type MessageType } from '../generated/index.js';
import { EventTally } from './event-tally.js';
import { FrameTally } from './frame-tally.js';
import type { HostPort } from './host-port.js';

export type ServerLabel = 'api' | 'p2p';

/** What happened to an item (the gossip handler's events, docs/protocol.md §3.1 and §4.4). */
export type ItemEventLabel = 'announced' | 'received' | 'delivered' | 'duplicate' | 'invalid' | 'forwarded' | 'dropped';

/** `serve`'s result: stops the HTTP listener; `port` is the bound port (useful with port 0). */
export type StopMetrics = (() => Promise<void>) & { readonly port: number };

export interface GossipMetricsOptions {
  /** Also export Node.js process metrics (CPU, memory, event-loop lag). Default true. */
  readonly processMetrics?: boolean;
}

export class GossipMetrics {
  readonly registry = new Registry();

  // Counted per frame: tallied in Maps and added at scrape (runtime/frame-tally.ts).
  private readonly framesIn = this.tally('gossip_frames_received_total', 'Frames received');
  private readonly framesOut = this.tally('gossip_frames_sent_total', 'Frames sent');
  private readonly bytesIn = this.tally('gossip_frame_bytes_received_total', 'Bytes of frames received');
  private readonly bytesOut = this.tally('gossip_frame_bytes_sent_total', 'Bytes of frames written');
  /** Decoded frames read, by server and message type number (docs/protocol.md §2). */
  readonly framesReceived = this.framesIn.counter;
  /** Frames written, by server and message type number. */
  readonly framesSent = this.framesOut.counter;
  /** Bytes of the frames read and written, header included: what each kind of message costs (bench:net). */
  readonly frameBytesReceived = this.bytesIn.counter;
  readonly bytesSent = this.bytesOut.counter;
  /** Connections closed for malformed input, by reason (docs/protocol.md §1). */
  readonly malformedCloses = this.counter('gossip_malformed_closes_total', 'Connections closed for malformed input', [
    'server',
    'reason',
  ]);
  /** Frames a server dropped instead of queueing (best-effort gossip), by reason. */
  readonly framesDropped = this.counter('gossip_frames_dropped_total', 'Frames dropped before the handler saw them', [
    'server',
    'reason',
  ]);

  /** Item events, tallied per item and added to their counters at scrape (runtime/event-tally.ts). */
  private readonly itemEvents = {
    announced: this.events('gossip_items_announced_total', 'Items announced by local modules'),
    received: this.events('gossip_items_received_total', 'New items received from peers'),
    delivered: this.events('gossip_items_delivered_total', 'Notifications delivered to local modules'),
    duplicate: this.events('gossip_items_duplicate_total', 'Duplicate items dropped', 'source'),
    invalid: this.events('gossip_items_invalid_total', 'Items validated as invalid'),
    forwarded: this.events('gossip_items_forwarded_total', 'Items forwarded to peers'),
    dropped: this.events('gossip_items_dropped_total', 'Items dropped', 'reason'),
  } satisfies Record<ItemEventLabel, EventTally<string>>;
  /** Items announced by local API clients (docs/protocol.md §3.1). */
  readonly itemsAnnounced = this.itemEvents.announced.counter;
  /** New items received from peers (docs/protocol.md §4.4). */
  readonly itemsReceived = this.itemEvents.received.counter;
  /** NOTIFICATIONs written to subscribed API clients. */
  readonly itemsDelivered = this.itemEvents.delivered.counter;
  /** Items seen before and dropped, by where the copy came from (`local` or `peer`). */
  readonly itemsDuplicate = this.itemEvents.duplicate.counter;
  /** Items a local module called invalid (VALIDATION bit 0). */
  readonly itemsInvalid = this.itemEvents.invalid.counter;
  /** Items pushed on to peers. */
  readonly itemsForwarded = this.itemEvents.forwarded.counter;
  /**
   * Items given up, by reason: the one place every drop is counted (docs/protocol.md §7.4):
   * receive-queue-full, peer-send-queue-full, subscriber-send-queue-full, send-stalled,
   * cache-evicted, validation-timeout, validation-abandoned, unsubscribed.
   */
  readonly itemsDropped = this.itemEvents.dropped.counter;
  /** Connections closed because their send queue stayed full past `send_stall_timeout` (§7.3). */
  readonly sendStalls = this.counter('gossip_send_stalls_total', 'Connections closed for a stalled send queue', [
    'server',
  ]);
  /** Listener errors by errno code; EMFILE/ENFILE: out of descriptors (§7.5). */
  readonly acceptErrors = this.counter('gossip_accept_errors_total', 'Connections the listener failed to accept', [
    'server',
    'code',
  ]);
  /** Times the API stopped being read because a P2P send queue was congested (§7.3). */
  readonly flowGateShut = this.counter(
    'gossip_flow_gate_shut_total',
    'Times announcers were paused for congested peers',
  );
  /** Once-a-second checks that found the process at its descriptor limit (§7.5; runtime/core/descriptor-watch.ts). */
  readonly descriptorsExhausted = this.counter(
    'gossip_descriptors_exhausted_total',
    'Checks that found no file descriptor free',
  );

  /** Frames waiting, by server and queue (`receive` | `send`); receive depths sampled at scrape. */
  readonly queueDepth: Gauge<'server' | 'queue'>;
  /** Bytes waiting, by server and queue; `send` includes bytes held by the sockets (§7.4). */
  readonly queueBytes: Gauge<'server' | 'queue'>;
  /** Size of each kind of kept state (docs/memory.md), sampled at scrape. */
  readonly stateSize: Gauge<'what'>;
  /** Peers by state (`active` links, `known` peers, …). */
  readonly peers = this.gauge('gossip_peers', 'Peers by state', ['state']);
  /**
   * Broadcast tree traffic (docs/protocol.md §4.8), by event: ids sent, received and ignored in
   * IHAVEs, ids sent and received in GRAFTs and served, unserved GRAFTs, pulls given up, PRUNEs
   * sent and received (runtime/p2p/tree/dissemination.ts TreeEvent).
   */
  readonly treeEvents = this.counter('gossip_tree_events_total', 'Broadcast tree events', ['event']);
  /** Active links by broadcast tree mode (`eager` | `lazy`, §4.8), sampled at scrape time. */
  readonly treeLinks: Gauge<'mode'>;
  /** P2P links closed, by reason. */
  readonly linksClosed = this.counter('gossip_links_closed_total', 'P2P links closed', ['reason']);
  /** Time to solve a proof of work (docs/protocol.md §4.1), by what it answers. */
  readonly powSolveSeconds = new Histogram({
    name: 'gossip_pow_solve_seconds',
    help: 'Time to solve a proof of work',
    labelNames: ['kind'] as const,
    buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
    registers: [this.registry],
  });

  private readonly queueSamplers: Array<{ queue: 'receive' | 'send'; sample: () => Record<string, number> }> = [];
  private readonly byteSamplers: Array<{ queue: 'receive' | 'send'; sample: () => Record<string, number> }> = [];
  private stateSampler: () => Record<string, number> = () => ({});
  private treeLinkSampler: () => Record<string, number> = () => ({});

  constructor(options: GossipMetricsOptions = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    // Queue depths are sampled at scrape time: no timer, no per-frame gauge update.
    const samplers = this.queueSamplers;
    this.queueDepth = new Gauge({
      name: 'gossip_queue_depth',
      help: 'Frames waiting in a queue',
      labelNames: ['server', 'queue'] as const,
      registers: [this.registry],
      collect() {
        for (const { queue, sample } of samplers) {
          for (const [server, depth] of Object.entries(sample())) this.set({ server, queue }, depth);
        }
      },
    });
    const sampleState = (): Record<string, number> => this.stateSampler();
    this.stateSize = new Gauge({
      name: 'gossip_state_size',
      help: 'Entries (or bytes, for *_bytes) of each kind of state a node keeps',
      labelNames: ['what'] as const,
      registers: [this.registry],
      collect() {
        for (const [what, size] of Object.entries(sampleState())) this.set({ what }, size);
      },
    });
    const sampleTreeLinks = (): Record<string, number> => this.treeLinkSampler();
    this.treeLinks = new Gauge({
      name: 'gossip_tree_links',
      help: 'Active P2P links by broadcast tree mode',
      labelNames: ['mode'] as const,
      registers: [this.registry],
      collect() {
        for (const [mode, count] of Object.entries(sampleTreeLinks())) this.set({ mode }, count);
      },
    });
    const byteSamplers = this.byteSamplers;
    this.queueBytes = new Gauge({
      name: 'gossip_queue_bytes',
      help: 'Bytes waiting in a queue (send: socket buffers included)',
      labelNames: ['server', 'queue'] as const,
      registers: [this.registry],
      collect() {
        for (const { queue, sample } of byteSamplers) {
          for (const [server, bytes] of Object.entries(sample())) this.set({ server, queue }, bytes);
        }
      },
    });
  }

  frameIn(server: ServerLabel, type: number, bytes = 0): void {
    this.framesIn.add(server, type);
    if (bytes > 0) this.bytesIn.add(server, type, bytes);
  }

  frameOut(server: ServerLabel, type: number, bytes = 0): void {
    this.framesOut.add(server, type);
    if (bytes > 0) this.bytesOut.add(server, type, bytes);
  }

  malformed(server: ServerLabel, reason: string): void {
    this.malformedCloses.inc({ server, reason });
  }

  dropped(server: ServerLabel, reason: string): void {
    this.framesDropped.inc({ server, reason });
    // Only gossip (ANNOUNCE) is ever dropped from a receive queue: each frame is an item.
    this.itemEvents.dropped.add(reason);
  }

  /** A frame a full send queue refused; subscriber drops are counted by LocalModules. */
  sendRefused(server: ServerLabel, type: number): void {
    if (server === 'p2p' && DROPPABLE_TYPES.has(type as MessageType))
      this.itemEvents.dropped.add('peer-send-queue-full');
  }

  stalled(server: ServerLabel, framesLost: number): void {
    this.sendStalls.inc({ server });
    if (framesLost > 0) this.itemEvents.dropped.add('send-stalled', framesLost);
  }

  acceptFailed(server: ServerLabel, code: string): void {
    this.acceptErrors.inc({ server, code });
  }

  /** One item event; `reason` labels `duplicate` (source) and `dropped` (reason). */
  item(event: ItemEventLabel, reason = 'unspecified'): void {
    this.itemEvents[event].add(reason);
  }

  /** Report queue depths (frames, by server name) whenever /metrics is scraped. */
  watchQueues(sample: () => Record<string, number>, queue: 'receive' | 'send' = 'receive'): void {
    this.queueSamplers.push({ queue, sample });
  }

  /** Report the size of kept state (knowledge base, records, …) whenever /metrics is scraped. */
  watchState(sample: () => Record<string, number>): void {
    this.stateSampler = sample;
  }

  /** Report the links by tree mode (eager, lazy) whenever /metrics is scraped. */
  watchTreeLinks(sample: () => Record<string, number>): void {
    this.treeLinkSampler = sample;
  }

  /** Report queue sizes in bytes (by server name) whenever /metrics is scraped. */
  watchQueueBytes(sample: () => Record<string, number>, queue: 'receive' | 'send'): void {
    this.byteSamplers.push({ queue, sample });
  }

  /** The text exposition, as GET /metrics returns it. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Serve GET /metrics on `address` (the `metrics_address` key); resolves once listening. */
  async serve(address: HostPort): Promise<StopMetrics> {
    const server = createServer((request, response) => void this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const stop = async (): Promise<void> => {
      // Scrapers keep connections alive; close them so shutdown is not held up.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    return Object.assign(stop, { port: (server.address() as AddressInfo).port });
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') return void response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return void response
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
    }
    try {
      const body = await this.text();
      response.writeHead(200, { 'content-type': this.registry.contentType });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`);
    }
  }

  private tally(name: string, help: string): FrameTally {
    return new FrameTally(name, help, this.registry);
  }

  private events<L extends string>(name: string, help: string, label?: L): EventTally<L> {
    return new EventTally(name, help, this.registry, label);
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge<L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
