/**
 * Between cases: does every node still answer? A node whose process exited, that no longer
 * accepts connections, or that stopped delivering a probe item along a path it delivered on
 * before, is reported against the case that just ran (runner.ts), so that a case that
 * wedged or killed a node is named and later cases do not fail for it.
 *
 * The probe uses what was shown to work (api/3.1/local-delivery, else
 * api/3.1/leaf-to-hub-delivery for the leaves), and the leaf → node 0 path itself when it
 * was shown to work (a link can wedge while both APIs still answer; node 1, the sender, is
 * then the one restarted); a node that never answered a probe is only checked for accepting
 * connections. The announcing connection subscribes to the probe type
 * first (some implementations close an announcer that has not). Each round trip has a data
 * type of its own, as each case does (runner.ts), so that no probe's item reaches another
 * probe's connections (see roundTrip).
 */
import { ApiClient, type Endpoint } from '../runtime/entry/client.js';
import { sleep } from './bytes.js';
import type { FactState } from './runner.js';
import type { Fact, NodeInfo } from './types.js';

/**
 * The probes' data types: far above the range cases use (from 1 000 up to about 31 000), below
 * the readiness probe's 65 000. Each round trip takes the next one, from a random start (two
 * runs against the same nodes do not meet); a run needs a few hundred.
 */
const HEALTH_TYPE_FIRST = 61_000;
const HEALTH_TYPE_COUNT = 4_000;
/** How often the probe item is announced again until it arrives (there is no acknowledgement of NOTIFY). */
const REANNOUNCE_MS = 100;

export interface ClusterView {
  hasExited(index: number): boolean;
}

export class NodeHealth {
  /** Nodes a probe round trip succeeded on at least once: only those can be said to have stopped. */
  private readonly answeredBefore = new Set<number>();
  private counter = 0;
  private nextType = Math.floor(Math.random() * HEALTH_TYPE_COUNT);

  constructor(
    private readonly nodes: readonly NodeInfo[],
    private readonly waitMs: number,
    private readonly cluster: ClusterView | null,
  ) {}

  async check(facts: ReadonlyMap<Fact, FactState>): Promise<{ index: number; what: string }[]> {
    const hasLocal = facts.get('path:local')?.ok === true;
    const hasLeafToHub = facts.get('path:leaf-to-hub')?.ok === true;
    const problems = await Promise.all(
      this.nodes.map(async (node) => {
        if (this.cluster?.hasExited(node.index)) return { index: node.index, what: 'exited' };
        let client: ApiClient;
        try {
          client = await ApiClient.connect(node.api, this.waitMs);
        } catch (error) {
          return {
            index: node.index,
            what: `no longer accepts API connections (${error instanceof Error ? error.message : String(error)})`,
          };
        }
        client.destroy();
        let route: { from: NodeInfo; to: NodeInfo; name: string } | null = null;
        if (hasLocal) route = { from: node, to: node, name: 'locally' };
        else if (hasLeafToHub && node.index > 0) route = { from: node, to: this.nodes[0]!, name: 'to node 0' };
        if (!route) return null;
        const delivered = await this.roundTrip(route.from.api, route.to.api);
        if (delivered) {
          this.answeredBefore.add(node.index);
          return null;
        }
        if (!this.answeredBefore.has(node.index)) return null;
        return {
          index: node.index,
          what: `stopped answering: a probe item announced on it was not delivered ${route.name} within ${this.waitMs} ms (it was before)`,
        };
      }),
    );
    const found = problems.filter((problem): problem is { index: number; what: string } => problem !== null);
    // The cross-node path the cases observe on (leaf → node 0): a node whose API still answers
    // locally may have wedged its link (e.g. on an item it cannot forward).
    const [hub, leaf] = this.nodes;
    if (hasLeafToHub && hub && leaf && found.length === 0) {
      const delivered = await this.roundTrip(leaf.api, hub.api);
      if (delivered) this.pathAnsweredBefore = true;
      else if (this.pathAnsweredBefore) {
        found.push({
          index: leaf.index,
          what: `and node 0 stopped delivering along leaf → node 0: a probe item announced on node 1 did not reach node 0 within ${this.waitMs} ms (it did before)`,
        });
      }
    }
    return found;
  }

  /** Whether a probe along leaf → node 0 ever arrived. */
  private pathAnsweredBefore = false;

  /**
   * Subscribes on `to`, announces probe items on `from` until one of THOSE arrives; false after
   * waitMs. The type is this round trip's own: an earlier probe's item still on its way (a
   * node that forwards a local item only once its local subscriber validated it sends it on
   * after that probe ended) would say nothing about this route, and this probe's items would
   * otherwise go to earlier probes' connections the suite has just reset (writing to a reset
   * connection wedged one implementation, and the case before was blamed).
   */
  private async roundTrip(from: Endpoint, to: Endpoint): Promise<boolean> {
    const clients: ApiClient[] = [];
    try {
      const dataType = HEALTH_TYPE_FIRST + (this.nextType++ % HEALTH_TYPE_COUNT);
      const subscriber = await ApiClient.connect(to, this.waitMs);
      clients.push(subscriber);
      subscriber.notify(dataType);
      const announcer = await ApiClient.connect(from, this.waitMs);
      clients.push(announcer);
      announcer.notify(dataType);
      const deadline = Date.now() + this.waitMs;
      const sent = new Set<string>();
      const arrived = subscriber
        .nextNotification(this.waitMs, (n) => sent.has(Buffer.from(n.data).toString('hex')))
        .then((n) => {
          if (n) subscriber.validate(n.messageId, true);
          return n !== null;
        });
      let done = false;
      void arrived.then(() => (done = true));
      while (!done && Date.now() < deadline && !announcer.isClosed) {
        const data = Buffer.from(`conformance health ${process.pid} ${this.counter++}`);
        sent.add(data.toString('hex'));
        announcer.announce({ ttl: 0, dataType, data });
        await Promise.race([sleep(REANNOUNCE_MS), arrived]);
      }
      return await arrived;
    } catch {
      return false;
    } finally {
      for (const client of clients) client.destroy();
    }
  }
}
