/**
 * docs/protocol.md §1 on the P2P port: types not allowed there, or malformed, close an active
 * link. Its own file because it needs a §4 link from the suite, not an API connection.
 */
import { MessageType } from '../../runtime/entry/codec.js';
import { hex, rawFrame, u64 } from '../bytes.js';
import type { ConformanceCase } from '../types.js';
import { activeLink, isOutcome, mustClose } from './p2p-common.js';

function p2pCloses(slug: string, requirement: string, bytes: Uint8Array): ConformanceCase {
  return {
    id: `p2p/1/${slug}`,
    group: 'p2p',
    section: '1',
    requirement,
    minNodes: 1,
    async run(context) {
      const link = await activeLink(context);
      if (isOutcome(link)) return link;
      link.peer.send('frame', bytes);
      return mustClose(context, link.peer, `${hex(bytes)} on an active link`);
    },
  };
}

export const p2pFramingCases: ConformanceCase[] = [
  p2pCloses(
    'api-type-closes',
    'An API type (NOTIFY, 501) sent to the P2P port closes the link.',
    rawFrame(MessageType.GOSSIP_NOTIFY, [0, 0, 0x9c, 0x40]),
  ),
  p2pCloses(
    'notification-closes',
    'A NOTIFICATION (502) sent to the P2P port closes the link.',
    rawFrame(MessageType.GOSSIP_NOTIFICATION, [0, 1, 0x9c, 0x40, 1]),
  ),
  p2pCloses(
    'unknown-type-closes',
    'An unknown type (999) sent to the P2P port closes the link.',
    rawFrame(999, [0, 0, 0, 0]),
  ),
  p2pCloses(
    'partial-peer-entry-closes',
    'A PEER RESPONSE whose address bytes are not a whole number of entries closes the link.',
    rawFrame(MessageType.GOSSIP_PEER_RESPONSE, [...u64(1n), ...u64(2n), 0, 0, 0, 0, 127, 0, 0, 1, 0x17]),
  ),
];
