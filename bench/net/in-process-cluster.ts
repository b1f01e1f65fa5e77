/**
 * N daemons in this process on 127.0.0.(i+1), sharing one proof-of-work pool: the
 * multi-node test harness (test/support/network.ts), used as it is.
 */
import type { Daemon } from '../../runtime/daemon.js';
import { metricTotal, startNetwork } from '../../test/support/network.js';
import { BENCH_NODE_SETTINGS, type BenchCluster, type ClusterSettings, type NodeCounters } from './cluster.js';
import { configFor } from './dissemination.js';
import { waitForStableLinks } from './stable-links.js';

export async function startInProcessCluster(settings: ClusterSettings, timeoutMs: number): Promise<BenchCluster> {
  const network = await startNetwork({
    nodes: settings.nodes,
    config: {
      ...BENCH_NODE_SETTINGS,
      ...configFor(settings.dissemination),
      degree: settings.degree,
      // As the separate processes (process-cluster.ts) and the published figures: 2 × degree.
      maxPeers: 2 * settings.degree,
      powDifficulty: settings.powDifficulty,
    },
  });
  const daemons = network.daemons.filter((d): d is Daemon => d !== null);
  const cluster: BenchCluster = {
    mode: 'in-process',
    apiEndpoints: daemons.map((d) => `${d.api.address}:${d.api.port}`),
    counters: () => Promise.all(network.daemons.filter((d): d is Daemon => d !== null).map(countersOf)),
    kill: (index) => network.kill(index),
    close: () => network.close(),
  };
  try {
    // Connectivity is probed afterwards with a warm-up item, the same way in both modes.
    await waitForStableLinks(cluster, settings.degree, timeoutMs);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

async function countersOf(daemon: Daemon): Promise<NodeCounters> {
  const metrics = daemon.metrics;
  const duplicates = (await metrics.itemsDuplicate.get()).values
    .filter((entry) => entry.labels.source === 'peer')
    .reduce((sum, entry) => sum + entry.value, 0);
  const p2pFrames: Record<number, { frames: number; bytes: number }> = {};
  for (const entry of (await metrics.framesReceived.get()).values)
    if (entry.labels.server === 'p2p')
      (p2pFrames[Number(entry.labels.type)] ??= { frames: 0, bytes: 0 }).frames += entry.value;
  for (const entry of (await metrics.frameBytesReceived.get()).values)
    if (entry.labels.server === 'p2p')
      (p2pFrames[Number(entry.labels.type)] ??= { frames: 0, bytes: 0 }).bytes += entry.value;
  const treeEvents: Record<string, number> = {};
  for (const entry of (await metrics.treeEvents.get()).values)
    treeEvents[String(entry.labels.event)] = (treeEvents[String(entry.labels.event)] ?? 0) + entry.value;
  const eager = (await metrics.treeLinks.get()).values.find((entry) => entry.labels.mode === 'eager');
  return {
    received: await metricTotal(metrics.itemsReceived),
    duplicates,
    framesDropped: await metricTotal(metrics.framesDropped),
    itemsDropped: await metricTotal(metrics.itemsDropped),
    activeLinks: daemon.overlay.activeLinks.length,
    p2pFrames,
    treeEvents,
    cpuSeconds: null,
    eagerLinks: eager?.value ?? null,
  };
}
