// `meta: -gossip:` of a message spec: which ports accept the message and how the daemon
// treats it. Kaitai skips keys that start with '-'; the generator reads them.
import type { Ksy } from './ksy-types.js';
import type { MessageModel } from './model.js';

type GossipFacts = Pick<MessageModel, 'ports' | 'isHandshake' | 'isPriority' | 'isDroppable'>;

export function gossipMeta(ksy: Ksy, report: (path: string, message: string) => void): GossipFacts {
  const meta = ksy.meta['-gossip'];
  if (!meta) {
    report(
      '/meta',
      "missing key '-gossip' (at least `-gossip: { ports: [...] }`: the ports that accept this message, [] for none)",
    );
    return { ports: [], isHandshake: false, isPriority: false, isDroppable: false };
  }
  const facts = {
    ports: [...meta.ports],
    isHandshake: meta.handshake ?? false,
    isPriority: meta.priority ?? false,
    isDroppable: meta.droppable ?? false,
  };
  if (facts.isHandshake && !facts.ports.includes('p2p'))
    report('/meta/-gossip/handshake', 'a handshake message must be accepted on p2p');
  if (facts.isPriority && facts.isDroppable)
    report('/meta/-gossip', 'a message is either priority or droppable, not both');
  if (facts.ports.length === 0 && (facts.isHandshake || facts.isPriority || facts.isDroppable)) {
    report(
      '/meta/-gossip',
      'handshake, priority and droppable describe received messages; this one is accepted on no port',
    );
  }
  return facts;
}
