/**
 * The two-hop path on one node, for implementations of OUR §4 wire protocol: the suite holds
 * two verified links to node 0 (suite peers A and B), pushes an item on A, and sees on B
 * whether node 0 forwarded it. The links outlive one case (proofs of work are dear at the
 * default difficulty) and are made again when a link closed.
 */
import { GossipAnnounce, MessageType } from '../../runtime/entry/codec.js';
import { frameType } from '../../runtime/entry/client.js';
import { equalBytes } from '../bytes.js';
import { SuiteListener } from '../listener.js';
import { SuitePeer } from '../peer.js';
import type { CaseContext } from '../types.js';

const KEY = 'suite-links';

export interface SuiteLinks {
  readonly a: SuitePeer;
  readonly b: SuitePeer;
  destroy(): void;
}

/** Whether `frame` is an ANNOUNCE carrying `data`. */
export function isAnnounceOf(frame: Uint8Array, data: Uint8Array): boolean {
  if (frameType(frame) !== MessageType.GOSSIP_ANNOUNCE) return false;
  try {
    return equalBytes(GossipAnnounce.decode(frame).data, data);
  } catch {
    return false;
  }
}

/** Two active links to node 0 (made once, again after one closed); a reason string when impossible. */
export async function suiteLinks(context: CaseContext): Promise<SuiteLinks | string> {
  const existing = context.shared.get(KEY) as SuiteLinks | undefined;
  if (existing && !existing.a.socket.isClosed && !existing.b.socket.isClosed) return existing;
  existing?.destroy();
  context.shared.delete(KEY);
  const node = context.nodes[0]!;
  if (!node.p2p) return 'the P2P address of node 0 is unknown (give --p2p with --api, or use --spawn)';
  // One listener per peer: a node may take two links that advertise one address for one peer.
  const listeners: SuiteListener[] = [];
  const peers: SuitePeer[] = [];
  const links: SuiteLinks = {
    get a() {
      return peers[0]!;
    },
    get b() {
      return peers[1]!;
    },
    destroy: () => {
      for (const peer of peers) peer.socket.destroy();
      for (const listener of listeners) listener.destroy();
    },
  };
  for (const name of ['A', 'B']) {
    let peer: SuitePeer;
    try {
      peer = await SuitePeer.connect(node.p2p, context.settings); // kept beyond the case: not tracked by it
    } catch (error) {
      links.destroy();
      return `suite peer ${name} cannot dial node 0: ${error instanceof Error ? error.message : String(error)}`;
    }
    peers.push(peer);
    const listener = await SuiteListener.listen();
    listeners.push(listener);
    const problem = await peer.handshake(listener.port);
    if (problem) {
      links.destroy();
      return `node 0 did not complete the §4.2 handshake with suite peer ${name} (${problem.message}; got ${problem.got})`;
    }
  }
  context.shared.set(KEY, links);
  return links;
}
