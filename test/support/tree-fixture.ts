/**
 * A test network for the broadcast tree tests (docs/protocol.md §4.8): daemons in this process
 * whose links stopped changing, a subscriber and an announcer on each, and a warm-up that
 * announces until the tree settled; closed after each test.
 */
import assert from 'node:assert/strict';
import type { SuitePeer } from '../../conformance/peer.js';
import type { ApiClient } from '../../runtime/api/api-client.js';
import type { GossipConfig } from '../../runtime/config.js';
import type { Daemon } from '../../runtime/daemon.js';
import { isConnected, startNetwork, waitFor, type TestNetwork } from './network.js';
import { audience, DATA_TYPE, edges, round, type Audience } from './tree-network.js';

/**
 * graft_timeout well above the default 1 s: pulls repair a broken tree, and on a loaded
 * machine (12 daemons share this process's one thread) an eager path slower than the timer
 * starts pulls that add eager links, so the tree never settles (§4.8 item 5, *Not solved*).
 * No rule tested needs a short timer; the repair test waits for its pulls, and the
 * silent-peer test sets its own.
 */
export const TREE: Partial<GossipConfig> = { dissemination: 'tree', graftTimeoutMs: 5_000 };
/** How long warming up may take: rounds until one brings no duplicate. */
const WARM_UP_MS = 60_000;

export class TreeFixture {
  network: TestNetwork | null = null;
  crowd: Audience | null = null;
  /** Warm-up rounds so far: each announces new items (an item announced again is a duplicate). */
  private warmUpRounds = 0;
  /** Closed with the network. */
  readonly clients: ApiClient[] = [];
  readonly peers: SuitePeer[] = [];

  async close(): Promise<void> {
    this.crowd?.close();
    this.crowd = null;
    for (const client of this.clients.splice(0)) client.destroy();
    for (const peer of this.peers.splice(0)) peer.destroy();
    await this.network?.close();
    this.network = null;
  }

  /** `nodes` daemons whose links stopped changing (no new link would start eager mid-test). */
  async settledNetwork(nodes: number, config: Partial<GossipConfig>): Promise<(Daemon | null)[]> {
    const started = await startNetwork({ nodes, config: { peerRequestIntervalMs: 2_000, ...config } });
    this.network = started;
    await waitFor('a connected overlay', () => isConnected(started.daemons), 30_000);
    let shape = '';
    let since = Date.now();
    await waitFor(
      'the links to stop changing',
      () => {
        const now = JSON.stringify(edges(started.daemons));
        if (now !== shape) [shape, since] = [now, Date.now()];
        return Date.now() - since >= 1_500;
      },
      30_000,
    );
    this.crowd = await audience(started.daemons, DATA_TYPE);
    return started.daemons;
  }

  /**
   * Rounds of items from random nodes until one brings no duplicate: the tree has settled. Up
   * to WARM_UP_MS rather than a number of rounds, since how many it takes depends on how items
   * in flight overlap, which the machine's load changes.
   */
  async warmUp(daemons: (Daemon | null)[]): Promise<void> {
    const live = daemons.flatMap((d, i) => (d ? [i] : []));
    const deadline = Date.now() + WARM_UP_MS;
    for (let n = 0; Date.now() < deadline; n++) {
      const result = await round(
        daemons,
        this.crowd!,
        `warm-up ${this.warmUpRounds++}`,
        10,
        () => live[Math.floor(Math.random() * live.length)]!,
      );
      if (result.duplicates === 0) return;
    }
    assert.fail(`the tree did not settle within ${WARM_UP_MS} ms of rounds of 10 items`);
  }
}
