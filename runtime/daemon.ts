/**
 * One Gossip node: the API Server and the P2P Server (one class, used twice), the gossip
 * handler between them, the overlay and the proof-of-work pool (midterm-report.md,
 * "Architecture"; runtime/README.md draws it).
 */
import { isIP, type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { GossipConfig } from './config.js';
import { GossipError } from './errors.js';
import { formatHostPort, type HostPort } from './host-port.js';
import { loadHostKey } from './hostkey.js';
import { ApiConsumer } from './api/api-consumer.js';
import { GossipHandler } from './core/gossip-handler.js';
import { DescriptorWatch } from './core/descriptor-watch.js';
import { FlowGate } from './core/flow-gate.js';
import { capHeapGrowth } from './core/heap-growth.js';
import { ReceivePump } from './core/receive-pump.js';
import { GossipMetrics } from './metrics.js';
import { PeerOverlay, type OverlayObserver } from './p2p/overlay.js';
import { normaliseHost } from './p2p/peer-address.js';
import { PowPool } from './pow/pool.js';
import { Server } from './core/server.js';

/** Items queued per Server before it stops reading (also bounded in bytes: `receive_queue_bytes`). */
const RECEIVE_QUEUE_CAPACITY = 4_096;
/** Frames one connection may have queued before it alone is paused (fairness, docs/protocol.md §7.3). */
const MAX_QUEUED_PER_CONNECTION = 256;
/** SIGINT/SIGTERM: everything closed within this, or the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 2_000;

export interface Daemon {
  readonly api: AddressInfo;
  readonly p2p: AddressInfo;
  readonly handler: GossipHandler;
  readonly overlay: PeerOverlay;
  readonly metrics: GossipMetrics;
  close(): Promise<void>;
}

export interface DaemonOptions {
  /**
   * A proof-of-work pool to share (several daemons in one process, as in the multi-node
   * tests); by default the daemon makes its own and closes it on `close`.
   */
  readonly pow?: PowPool;
}

export async function startDaemon(config: GossipConfig, logger: Logger, options: DaemonOptions = {}): Promise<Daemon> {
  const metrics = new GossipMetrics();
  const ownsPow = options.pow === undefined;
  const pow = options.pow ?? new PowPool();
  const p2pHost = config.p2pAddress.host;
  const isWildcard = p2pHost === '0.0.0.0' || p2pHost === '::';
  const overlay: PeerOverlay = new PeerOverlay(
    {
      listen: { host: isIP(p2pHost) ? normaliseHost(p2pHost) : p2pHost, port: config.p2pAddress.port },
      dialFromHost: isIP(p2pHost) && !isWildcard ? p2pHost : null,
      bootstrapper: config.bootstrapper,
      degree: config.degree,
      maxPeers: config.maxPeers,
      powDifficulty: config.powDifficulty,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      verificationTimeoutMs: config.verificationTimeoutMs,
      maxHandshakesPerAddress: config.maxHandshakesPerAddress,
      maxHandshakesPerSubnet: config.maxHandshakesPerSubnet,
      rejoinIntervalMs: config.rejoinIntervalMs,
      peerRequestLimit: config.peerRequestLimit,
      peerRequestIntervalMs: config.peerRequestIntervalMs,
      peersFile: config.peersFile,
      subnetCapV4: config.subnetCapV4,
      subnetCapV6: config.subnetCapV6,
      subnetCapExemptLoopback: config.subnetCapExemptLoopback,
      dissemination: config.dissemination,
      graftTimeoutMs: config.graftTimeoutMs,
      lazyPushDelayMs: config.lazyPushDelayMs,
      servingWindowBytes: Math.floor(config.knowledgeBaseBytes / 4), // docs/protocol.md §4.8 item 6
    },
    pow,
    {
      receiveFromPeer: (peer, announce) => handler.receiveFromPeer(peer, announce),
      hasSeen: (id) => handler.hasSeen(id),
      servable: (id) => handler.servable(id),
    },
    logger,
    overlayObserver(metrics),
  );
  const handler: GossipHandler = new GossipHandler({
    cacheSize: config.cacheSize,
    knowledgeBaseBytes: config.knowledgeBaseBytes,
    seenSetSize: config.seenSetSize,
    validationTimeoutMs: config.validationTimeoutMs,
    peers: overlay.dissemination,
    logger,
    observer: metrics,
  });
  const pump = new ReceivePump();
  // §7.3: congested P2P send queues stop the API from being read until they drain.
  const peerSendPressure = new FlowGate();
  peerSendPressure.onChange((isOpen) => isOpen || metrics.flowGateShut.inc());
  const api = new Server({
    name: 'api',
    consumer: new ApiConsumer(handler.local, handler, logger),
    observer: metrics,
    logger,
    pump,
    queueCapacity: RECEIVE_QUEUE_CAPACITY,
    queueBytes: config.receiveQueueBytes,
    overflow: 'pause',
    maxQueuedPerConnection: MAX_QUEUED_PER_CONNECTION,
    sendQueueMaxBytes: config.apiSendQueueBytes,
    readGate: peerSendPressure,
    sendStallTimeoutMs: config.sendStallTimeoutMs,
  });
  const p2p = new Server({
    name: 'p2p',
    consumer: overlay.consumer,
    observer: metrics,
    logger,
    pump,
    queueCapacity: RECEIVE_QUEUE_CAPACITY,
    queueBytes: config.receiveQueueBytes,
    overflow: 'pause-fair',
    maxQueuedPerConnection: MAX_QUEUED_PER_CONNECTION,
    sendQueueMaxBytes: config.p2pSendQueueBytes,
    sendPressure: peerSendPressure,
    sendStallTimeoutMs: config.sendStallTimeoutMs,
  });
  metrics.watchQueues(() => ({ api: api.receiveQueue.length, p2p: p2p.receiveQueue.length }));
  metrics.watchQueues(() => ({ api: api.queuedForSending, p2p: p2p.queuedForSending }), 'send');
  metrics.watchState(() => ({ ...handler.stateSizes(), ...overlay.dissemination.stateSizes() }));
  metrics.watchTreeLinks(() => overlay.dissemination.linkCounts());
  metrics.watchQueueBytes(() => ({ api: api.receiveQueue.bytes, p2p: p2p.receiveQueue.bytes }), 'receive');
  metrics.watchQueueBytes(() => ({ api: api.bytesForSending, p2p: p2p.bytesForSending }), 'send');

  const descriptors = new DescriptorWatch(logger, () => metrics.descriptorsExhausted.inc());
  let stopMetrics: (() => Promise<void>) | null = null;
  try {
    const apiBound = await listenOrExplain(api, 'api_address', config.apiAddress);
    const p2pBound = await listenOrExplain(p2p, 'p2p_address', config.p2pAddress);
    if (config.hostkeyPath) {
      logger.info({ identity: loadHostKey(config.hostkeyPath).identity.toString('hex') }, 'host identity');
    }
    let metricsBound: string | undefined;
    if (config.metricsAddress) {
      const served = await metrics.serve(config.metricsAddress);
      stopMetrics = served;
      metricsBound = `${config.metricsAddress.host}:${served.port}`;
    }
    // Port 0 in the config means "any free port": peers must learn the real one.
    // Our other listening ports are never dialed as candidates (docs/protocol.md §4.3).
    const otherListening = [{ host: apiBound.address, port: apiBound.port }];
    if (config.metricsAddress)
      otherListening.push({ host: config.metricsAddress.host, port: config.metricsAddress.port });
    overlay.join(p2p, p2pBound.port, otherListening);
    logger.info(
      {
        api: `${apiBound.address}:${apiBound.port}`,
        p2p: `${p2pBound.address}:${p2pBound.port}`,
        metrics: metricsBound,
        bootstrapper: config.bootstrapper,
      },
      'gossip daemon listening',
    );
    return {
      api: apiBound,
      p2p: p2pBound,
      handler,
      overlay,
      metrics,
      async close() {
        descriptors.stop();
        overlay.close();
        handler.close();
        await Promise.all([api.close(), p2p.close(), stopMetrics?.()]);
        if (ownsPow) await pow.close();
      },
    };
  } catch (error) {
    descriptors.stop();
    overlay.close();
    handler.close();
    await Promise.allSettled([api.close(), p2p.close(), ownsPow ? pow.close() : null, stopMetrics?.()]);
    throw error;
  }
}

/** Listens, turning "address in use" and friends into one line that names the key. */
async function listenOrExplain(server: Server, key: string, address: HostPort): Promise<AddressInfo> {
  try {
    return await server.listen(address.host, address.port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new GossipError('listen-failed', `cannot listen on ${key} ${formatHostPort(address)}: ${code}`);
  }
}

function overlayObserver(metrics: GossipMetrics): OverlayObserver {
  return {
    // Reasons may quote numbers (a frame type): keep the label set small and fixed.
    linkClosed: (reason) => metrics.linksClosed.inc({ reason: reason.replace(/:.*/, '').replace(/\b\d+\b/g, 'N') }),
    activeLinks: (count) => metrics.peers.set({ state: 'active' }, count),
    knownPeers: (count) => metrics.peers.set({ state: 'known' }, count),
    proofSolved: (kind, milliseconds) => metrics.powSolveSeconds.observe({ kind }, milliseconds / 1000),
    tree: (event, count = 1) => {
      metrics.treeEvents.inc({ event }, count);
      // §7.4: every drop is also counted with the other items dropped.
      if (event === 'graft-answer-dropped') metrics.itemsDropped.inc({ reason: 'peer-send-queue-full' }, count);
    },
  };
}

/** Runs a daemon until SIGINT or SIGTERM, then closes it within SHUTDOWN_DEADLINE_MS. */
export async function runDaemon(config: GossipConfig, logger: Logger): Promise<void> {
  // Handlers go in before start-up: a signal that arrives while listeners open (a supervisor
  // that stops us at once) must still shut down cleanly, not kill the process.
  let signalled: NodeJS.Signals | null = null;
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
    signalled = signal;
  };
  const handler = (signal: NodeJS.Signals) => onSignal(signal);
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  capHeapGrowth(); // the process is ours: its memory model is docs/memory.md's
  const daemon = await startDaemon(config, logger);
  await new Promise<void>((resolve) => {
    onSignal = (signal) => {
      logger.info({ signal }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.warn('shutdown deadline passed, exiting');
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS);
      deadline.unref();
      void daemon.close().then(resolve);
    };
    if (signalled) onSignal(signalled);
  });
}
